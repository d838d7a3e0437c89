from django.core.checks import run_checks


def _ids():
    return {message.id for message in run_checks()}


def test_default_configuration_passes_the_checks():
    assert not {i for i in _ids() if i and i.startswith("syncapp.")}


def test_unknown_billing_provider_is_refused(hub_settings):
    hub_settings["billing_provider"] = "stripe"
    assert "syncapp.E001" in _ids()


def test_q_cluster_retry_must_exceed_timeout(settings):
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "timeout": 300, "retry": 300}
    assert "syncapp.E002" in _ids()


def test_q_cluster_attempts_must_be_bounded(settings):
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "max_attempts": 0}
    assert "syncapp.E003" in _ids()
