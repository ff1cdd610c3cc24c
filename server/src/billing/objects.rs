//! The fields of Stripe's objects that billing reads, and nothing else. Each is read as Stripe
//! documents it; an id may come as a string or, expanded, as the object itself.

use std::collections::HashMap;

use serde::Deserialize;

/// An id, or the object it names when the request expanded it.
#[derive(Clone, Debug, Deserialize)]
#[serde(untagged)]
pub enum Expandable<T> {
    Id(String),
    Object(Box<T>),
}

impl<T: HasId> Expandable<T> {
    pub fn id(&self) -> &str {
        match self {
            Expandable::Id(id) => id,
            Expandable::Object(o) => o.id(),
        }
    }

    pub fn object(&self) -> Option<&T> {
        match self {
            Expandable::Id(_) => None,
            Expandable::Object(o) => Some(o),
        }
    }
}

pub trait HasId {
    fn id(&self) -> &str;
}

macro_rules! has_id {
    ($($t:ty),*) => { $(impl HasId for $t { fn id(&self) -> &str { &self.id } })* };
}
has_id!(Customer, PaymentMethod, Subscription, Invoice);

/// `checkout.session`.
#[derive(Clone, Debug, Deserialize)]
pub struct CheckoutSession {
    pub id: String,
    pub url: Option<String>,
    pub client_reference_id: Option<String>,
    pub customer: Option<Expandable<Customer>>,
    pub subscription: Option<Expandable<Subscription>>,
    pub status: Option<String>,
}

/// `billing_portal.session`.
#[derive(Clone, Debug, Deserialize)]
pub struct PortalSession {
    pub id: String,
    pub url: String,
}

/// `customer`.
#[derive(Clone, Debug, Deserialize)]
pub struct Customer {
    pub id: String,
    #[serde(default)]
    pub invoice_settings: Option<InvoiceSettings>,
}

#[derive(Clone, Debug, Deserialize)]
pub struct InvoiceSettings {
    pub default_payment_method: Option<Expandable<PaymentMethod>>,
}

/// `payment_method`: of a card, only what the billing page shows.
#[derive(Clone, Debug, Deserialize)]
pub struct PaymentMethod {
    pub id: String,
    pub card: Option<Card>,
}

#[derive(Clone, Debug, Deserialize)]
pub struct Card {
    pub brand: String,
    pub last4: String,
    pub exp_month: i64,
    pub exp_year: i64,
}

/// `subscription`.
#[derive(Clone, Debug, Deserialize)]
pub struct Subscription {
    pub id: String,
    pub customer: Expandable<Customer>,
    pub status: String,
    #[serde(default)]
    pub metadata: HashMap<String, String>,
    #[serde(default)]
    pub cancel_at_period_end: bool,
    pub created: i64,
    /// Before API version 2025-03-31 the period was the subscription's; since, its items'.
    pub current_period_end: Option<i64>,
    pub items: List<SubscriptionItem>,
    pub default_payment_method: Option<Expandable<PaymentMethod>>,
}

impl Subscription {
    pub fn price(&self) -> Option<&str> {
        self.items.data.first().map(|i| i.price.id.as_str())
    }

    pub fn period_end(&self) -> Option<i64> {
        self.current_period_end
            .or_else(|| self.items.data.first().and_then(|i| i.current_period_end))
    }
}

#[derive(Clone, Debug, Deserialize)]
pub struct List<T> {
    pub data: Vec<T>,
}

#[derive(Clone, Debug, Deserialize)]
pub struct SubscriptionItem {
    pub price: Price,
    pub current_period_end: Option<i64>,
}

#[derive(Clone, Debug, Deserialize)]
pub struct Price {
    pub id: String,
}

/// `invoice`.
#[derive(Clone, Debug, Deserialize)]
pub struct Invoice {
    pub id: String,
    pub customer: Option<Expandable<Customer>>,
    pub number: Option<String>,
    pub status: Option<String>,
    pub amount_due: i64,
    pub amount_paid: i64,
    pub currency: String,
    pub hosted_invoice_url: Option<String>,
    pub created: i64,
    /// Before API version 2025-03-31 the subscription was named here; since, in `parent`.
    pub subscription: Option<Expandable<Subscription>>,
    pub parent: Option<InvoiceParent>,
}

impl Invoice {
    pub fn subscription_id(&self) -> Option<&str> {
        self.subscription.as_ref().map(Expandable::id).or_else(|| {
            self.parent
                .as_ref()
                .and_then(|p| p.subscription_details.as_ref())
                .map(|d| d.subscription.id())
        })
    }
}

#[derive(Clone, Debug, Deserialize)]
pub struct InvoiceParent {
    pub subscription_details: Option<SubscriptionDetails>,
}

#[derive(Clone, Debug, Deserialize)]
pub struct SubscriptionDetails {
    pub subscription: Expandable<Subscription>,
}

/// An event as the webhook reads it: what it is, and which object it is about.
#[derive(Clone, Debug, Deserialize)]
pub struct Event {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub created: i64,
    pub data: EventData,
}

#[derive(Clone, Debug, Deserialize)]
pub struct EventData {
    pub object: EventObject,
}

/// The few fields of an event's object that say what it is and whose.
#[derive(Clone, Debug, Deserialize)]
pub struct EventObject {
    pub id: String,
    pub object: String,
    /// The customer an object belongs to (a customer's own id is `id`).
    #[serde(default)]
    pub customer: Option<serde_json::Value>,
}

impl EventObject {
    /// The customer the object is, or belongs to.
    pub fn customer_id(&self) -> Option<String> {
        if self.object == "customer" {
            return Some(self.id.clone());
        }
        match &self.customer {
            Some(serde_json::Value::String(id)) => Some(id.clone()),
            Some(serde_json::Value::Object(o)) => {
                o.get("id").and_then(|v| v.as_str()).map(str::to_string)
            }
            _ => None,
        }
    }
}
