"""The optional duplicate rules (switched on through `_control`): Accounts by Website domain and
Contacts by Email, refusing the save with Salesforce's DUPLICATES_DETECTED error."""
from .errors import bad_request
from .store import live
from .values import website_domain

MESSAGE = "You're creating a duplicate record. We recommend you use an existing record instead."
RULES = {"Account": ("Standard_Account_Duplicate_Rule", "Standard_Account_Match_Rule_v1_0"),
         "Contact": ("Standard_Contact_Duplicate_Rule", "Standard_Contact_Match_Rule_v1_1")}


def _matches(sobject: str, data: dict, record_id):
    if sobject == "Account":
        domain = website_domain(data.get("Website"))
        found = live("Account").filter(domain=domain) if domain else None
    elif sobject == "Contact":
        email = (data.get("Email") or "").lower()
        found = live("Contact").filter(email=email) if email else None
    else:
        return []
    return list(found.exclude(sf_id=record_id)[:5]) if found is not None else []


def checker(version: str, allow_save: bool):
    """A `duplicate_check(sobject, data, record_id)` for the store, honouring allowSave."""

    def check(sobject: str, data: dict, record_id):
        if allow_save:
            return
        matches = _matches(sobject, data, record_id)
        if not matches:
            return
        rule, match_rule = RULES[sobject]
        raise bad_request("DUPLICATES_DETECTED", MESSAGE, [], duplicateResult={
            "allowSave": False, "duplicateRule": rule, "duplicateRuleEntityType": sobject,
            "errorMessage": MESSAGE, "matchResults": [{
                "entityType": sobject, "errors": [], "matchEngine": "ExactMatchEngine",
                "rule": match_rule, "size": len(matches), "success": True,
                "matchRecords": [{
                    "additionalInformation": [], "fieldDiffs": [], "matchConfidence": 100.0,
                    "record": {"attributes": {"type": sobject, "url": f"/services/data/v{version}"
                                              f"/sobjects/{sobject}/{m.sf_id}"},
                               "Id": m.sf_id}} for m in matches]}]})

    return check
