//! What a successful call gives back, and how the runtime reads it: [`Answer`] (a decoded
//! JSON answer through [`Output`], or a [`Download`](crate::Download)).

use futures_util::future::BoxFuture;

use crate::transport::prepared::Prepared;
use crate::{Client, Error};

/// What a successful call gives, read from the answer by the runtime: every generated
/// `<Op>Response` (decoded from the JSON answer; see [`Output`]) and
/// [`Download`](crate::Download).
pub trait Answer: Sized + Send + 'static {
    /// Sends the prepared call and reads its answer.
    #[doc(hidden)]
    #[allow(private_interfaces)]
    fn receive(client: Client, prepared: Prepared) -> BoxFuture<'static, Result<Self, Error>>;
}

/// What every generated `<Op>Response` is: decoded from the JSON answer (`data`, the whole
/// object for flat answers, `{}` for envelope-only ones), carrying the log id (`x-tt-logid`)
/// of the answer it was decoded from, which the platform's support asks for. The runtime
/// sets it after decoding; users read it with the response's `log_id()`.
pub trait Output: serde::de::DeserializeOwned + Send + 'static {
    /// Records the answer's log id.
    fn set_log_id(&mut self, log_id: Option<String>);
}

impl<T: Output> Answer for T {
    #[allow(private_interfaces)]
    fn receive(client: Client, prepared: Prepared) -> BoxFuture<'static, Result<Self, Error>> {
        Box::pin(async move { super::json::receive::<T>(&client, prepared).await })
    }
}

/// Writes what every generated answer struct has beyond its fields: `log_id()` and its
/// [`Output`] impl (the struct has a private `lark_log_id: Option<String>` field). Used by
/// generated code.
#[doc(hidden)]
#[macro_export]
macro_rules! answer {
    ($ty:ident) => {
        impl $ty {
            /// The log id (`x-tt-logid`) of the answer this was decoded from, if the platform
            /// sent one: give it to the platform's support with a question.
            pub fn log_id(&self) -> ::core::option::Option<&str> {
                self.lark_log_id.as_deref()
            }
        }

        impl $crate::call::Output for $ty {
            fn set_log_id(&mut self, log_id: ::core::option::Option<::std::string::String>) {
                self.lark_log_id = log_id;
            }
        }
    };
}

/// The answer of an endpoint whose data is exactly one of its version's models (a message
/// sent, forwarded or replied to is a `Message`): the model, with the log id (`x-tt-logid`)
/// of the answer. Reads as the model (`Deref`); [`into_inner`](Self::into_inner) keeps it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct Answered<T> {
    value: T,
    #[serde(skip)]
    log_id: Option<String>,
}

impl<T> Answered<T> {
    /// The model.
    pub fn into_inner(self) -> T {
        self.value
    }

    /// The log id (`x-tt-logid`) of the answer this was decoded from, if the platform sent
    /// one: give it to the platform's support with a question.
    pub fn log_id(&self) -> Option<&str> {
        self.log_id.as_deref()
    }
}

impl<T> std::ops::Deref for Answered<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.value
    }
}

impl<T> std::ops::DerefMut for Answered<T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.value
    }
}

impl<T: serde::de::DeserializeOwned + Send + 'static> Output for Answered<T> {
    fn set_log_id(&mut self, log_id: Option<String>) {
        self.log_id = log_id;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, serde::Deserialize, serde::Serialize)]
    struct Model {
        id: String,
    }

    #[test]
    fn an_answered_model_decodes_as_the_model_and_keeps_its_log_id() {
        let mut answer: Answered<Model> = serde_json::from_str(r#"{"id":"om_1"}"#).unwrap();
        assert_eq!(answer.id, "om_1");
        assert_eq!(answer.log_id(), None);
        answer.set_log_id(Some("log-1".into()));
        assert_eq!(answer.log_id(), Some("log-1"));
        assert_eq!(serde_json::to_string(&answer).unwrap(), r#"{"id":"om_1"}"#);
        assert_eq!(answer.into_inner(), Model { id: "om_1".into() });
    }
}
