//! Google's Places API (New), for enriching businesses: Text Search finds the candidates for a
//! business from its name and address, Place Details fetches what we show. Each request asks for
//! exactly the fields we use (the field mask decides the price), and every failure is sorted into
//! what a background job does next: wait as long as Google asks, retry later, or give up.

use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::json;
use url::Url;

use crate::jobs::JobError;

/// What Text Search returns per candidate: enough to tell them apart, and the link to the place
/// that Google's terms ask for wherever its content is shown (all in the same price tier).
pub const SEARCH_FIELDS: &str =
    "places.id,places.displayName,places.formattedAddress,places.googleMapsUri";
/// What Place Details returns: what a business's page shows.
pub const DETAIL_FIELDS: &str = "id,displayName,formattedAddress,location,nationalPhoneNumber,\
websiteUri,regularOpeningHours,businessStatus,rating,userRatingCount,googleMapsUri";
/// Candidates asked for: enough for a person to choose among.
const CANDIDATES: u32 = 5;

#[derive(Clone, Debug)]
pub struct PlacesConfig {
    pub api_key: SecretString,
    /// `https://places.googleapis.com` (tests point it at the stand-in).
    pub base_url: Url,
    /// Where searches are biased: an ISO 3166 region code (GB).
    pub region: String,
    /// A request not answered in this time counts as Google being unavailable.
    pub timeout: Duration,
}

#[derive(Debug, thiserror::Error)]
pub enum PlacesError {
    /// 429 `RESOURCE_EXHAUSTED`: the project's quota is used up for now.
    #[error("Google Places quota exhausted")]
    Quota { retry_after: Option<Duration> },
    /// 403 `PERMISSION_DENIED`: the key is wrong or lacks the API; an operator must act.
    #[error("Google Places refused the API key")]
    Key,
    /// No answer in time, no connection, or Google's own failure (5xx).
    #[error("Google Places unavailable: {0}")]
    Unavailable(String),
    /// Any other refusal, with Google's status and message.
    #[error("Google Places refused the request: {status} {message}")]
    Refused { status: String, message: String },
    /// An answer that is not what the API documents.
    #[error("Google Places answered in an unexpected shape: {0}")]
    Malformed(String),
}

impl From<PlacesError> for JobError {
    fn from(e: PlacesError) -> Self {
        match e {
            PlacesError::Quota { retry_after } => JobError::retry_after(&e, retry_after),
            // Until an operator fixes the key: later attempts may succeed.
            PlacesError::Key | PlacesError::Unavailable(_) | PlacesError::Malformed(_) => {
                JobError::retry(&e)
            }
            PlacesError::Refused { .. } => JobError::fatal(&e),
        }
    }
}

/// A place Text Search found.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct Candidate {
    pub id: String,
    #[serde(rename = "displayName")]
    pub name: LocalizedText,
    #[serde(rename = "formattedAddress", default)]
    pub address: String,
    #[serde(rename = "googleMapsUri", default)]
    pub google_maps_uri: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct LocalizedText {
    pub text: String,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct LatLng {
    pub latitude: f64,
    pub longitude: f64,
}

#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
pub struct OpeningHours {
    #[serde(rename = "weekdayDescriptions", default)]
    pub weekdays: Vec<String>,
}

/// What Place Details returns, as the field mask asks.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Place {
    pub id: String,
    pub display_name: LocalizedText,
    #[serde(default)]
    pub formatted_address: String,
    pub location: Option<LatLng>,
    pub national_phone_number: Option<String>,
    pub website_uri: Option<String>,
    pub regular_opening_hours: Option<OpeningHours>,
    pub business_status: Option<String>,
    pub rating: Option<f64>,
    pub user_rating_count: Option<i32>,
    pub google_maps_uri: Option<String>,
}

#[derive(Deserialize)]
struct SearchAnswer {
    #[serde(default)]
    places: Vec<Candidate>,
}

#[derive(Deserialize)]
struct ErrorAnswer {
    error: ErrorBody,
}

#[derive(Deserialize)]
struct ErrorBody {
    #[serde(default)]
    message: String,
    #[serde(default)]
    status: String,
}

pub struct Places {
    http: reqwest::Client,
    config: PlacesConfig,
}

impl Places {
    pub fn new(config: PlacesConfig) -> Self {
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .build()
            .expect("an HTTP client with the process's TLS provider");
        Self { http, config }
    }

    /// The candidates for a business of this name at this address, best first.
    pub async fn search(&self, name: &str, address: &str) -> Result<Vec<Candidate>, PlacesError> {
        let query = format!("{name} {address}");
        let request = self
            .http
            .post(self.url("v1/places:searchText"))
            .header("X-Goog-FieldMask", SEARCH_FIELDS)
            .json(&json!({
                "textQuery": query.trim(),
                "regionCode": self.config.region,
                "pageSize": CANDIDATES,
            }));
        let answer: SearchAnswer = self.send(request).await?;
        Ok(answer.places)
    }

    /// The details of one place.
    pub async fn details(&self, place_id: &str) -> Result<Place, PlacesError> {
        let mut url = self.url("v1/places/");
        url.path_segments_mut()
            .map_err(|()| PlacesError::Malformed("base URL".into()))?
            .pop_if_empty()
            .push(place_id);
        self.send(self.http.get(url).header("X-Goog-FieldMask", DETAIL_FIELDS))
            .await
    }

    fn url(&self, path: &str) -> Url {
        self.config.base_url.join(path).expect("a valid base URL")
    }

    async fn send<T: serde::de::DeserializeOwned>(
        &self,
        request: reqwest::RequestBuilder,
    ) -> Result<T, PlacesError> {
        let response = request
            .header("X-Goog-Api-Key", self.config.api_key.expose_secret())
            .send()
            .await
            // Without the URL: error strings carry the cause only.
            .map_err(|e| PlacesError::Unavailable(e.without_url().to_string()))?;
        let status = response.status();
        let retry_after = crate::email::retry_after(response.headers());
        let text = response
            .text()
            .await
            .map_err(|e| PlacesError::Unavailable(e.without_url().to_string()))?;
        if status.is_success() {
            return serde_json::from_str(&text).map_err(|e| PlacesError::Malformed(e.to_string()));
        }
        let error = serde_json::from_str::<ErrorAnswer>(&text).map(|a| a.error);
        match (status.as_u16(), error) {
            (429, _) => Err(PlacesError::Quota { retry_after }),
            (403, _) => Err(PlacesError::Key),
            (500..=599, _) => Err(PlacesError::Unavailable(format!("status {status}"))),
            (_, Ok(e)) => Err(PlacesError::Refused {
                status: e.status,
                message: e.message.chars().take(300).collect(),
            }),
            (_, Err(_)) => Err(PlacesError::Malformed(format!("status {status}"))),
        }
    }
}

/// The candidate to take without asking: the only one, or the only one whose name is the
/// business's own. Otherwise a person chooses.
pub fn unambiguous<'a>(name: &str, candidates: &'a [Candidate]) -> Option<&'a Candidate> {
    if let [only] = candidates {
        return Some(only);
    }
    let same = |c: &&Candidate| normalise(&c.name.text) == normalise(name);
    let mut named = candidates.iter().filter(same);
    match (named.next(), named.next()) {
        (Some(one), None) => Some(one),
        _ => None,
    }
}

fn normalise(name: &str) -> String {
    name.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn candidate(id: &str, name: &str) -> Candidate {
        Candidate {
            id: id.into(),
            name: LocalizedText { text: name.into() },
            address: String::new(),
            google_maps_uri: None,
        }
    }

    #[test]
    fn a_match_is_taken_only_when_unambiguous() {
        let one = [candidate("a", "Harbour Café")];
        assert_eq!(unambiguous("Anything", &one).unwrap().id, "a");
        let two_same = [
            candidate("a", "Harbour Café"),
            candidate("b", "Harbour Café"),
        ];
        assert_eq!(unambiguous("Harbour Café", &two_same), None);
        let one_named = [
            candidate("a", "Harbour Café"),
            candidate("b", "Harbour Fish Bar"),
        ];
        assert_eq!(unambiguous("harbour café", &one_named).unwrap().id, "a");
        assert_eq!(unambiguous("Harbour Café", &[]), None);
    }
}
