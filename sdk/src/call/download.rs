//! Reading a download's answer: its headers, with the body unread ([`Download`]).

use crate::download::Download;
use futures_util::future::BoxFuture;

use super::Answer;
use crate::operation::ResponseKind;
use crate::transport::prepared::Prepared;
use crate::transport::send::Success;
use crate::{Client, Error};

impl<C: crate::Catalogue> Answer for Download<C> {
    #[allow(private_interfaces)]
    fn receive(client: Client, prepared: Prepared) -> BoxFuture<'static, Result<Self, Error>> {
        Box::pin(start(client, prepared))
    }
}

/// Sends a prepared download and returns its answer with the body unread.
pub(super) async fn start<C>(client: Client, prepared: Prepared) -> Result<Download<C>, Error> {
    let ResponseKind::Binary { max_bytes } = prepared.meta.response else {
        return Err(Error::InvalidRequest(format!(
            "{} does not return a binary body",
            prepared.meta.id
        )));
    };
    match crate::transport::send::send(&client, &prepared, None).await? {
        Success::Stream(response) => Download::new(client, prepared, response, max_bytes),
        Success::Envelope { .. } => Err(Error::InvalidRequest(format!(
            "{} answered JSON where a binary body was expected",
            prepared.meta.id
        ))),
    }
}
