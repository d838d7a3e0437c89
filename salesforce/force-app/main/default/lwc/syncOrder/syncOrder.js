// The headless "Sync Order" action: Salesforce calls invoke() when the rep clicks the button.
import { LightningElement, api } from 'lwc';
import { ShowToastEvent } from 'lightning/platformShowToastEvent';
import { notifyRecordUpdateAvailable } from 'lightning/uiRecordApi';
import syncOrder from '@salesforce/apex/OrderSyncHubCallout.syncOrder';

export default class SyncOrder extends LightningElement {
    @api recordId;
    running = false;

    @api async invoke() {
        if (this.running) {
            return; // a double click must not send two syncs
        }
        this.running = true;
        try {
            const result = await syncOrder({ orderId: this.recordId });
            this.dispatchEvent(result.ok ? this.successToast(result) : this.errorToast(result.message));
            // The hub wrote Billing_Order_Id__c and the checkout link on the Order: show them.
            await notifyRecordUpdateAvailable([{ recordId: this.recordId }]);
        } catch (error) {
            this.dispatchEvent(this.errorToast(error?.body?.message || String(error)));
        } finally {
            this.running = false;
        }
    }

    successToast(result) {
        if (result.checkoutUrl) {
            return new ShowToastEvent({
                title: result.message, message: 'Checkout link: {0}', variant: 'success', mode: 'sticky',
                messageData: [{ url: result.checkoutUrl, label: result.checkoutUrl }]
            });
        }
        return new ShowToastEvent({ title: result.message, variant: 'success' });
    }

    errorToast(message) {
        return new ShowToastEvent({ title: 'Sync Order failed', message, variant: 'error', mode: 'sticky' });
    }
}
