//! One type per concept per service version (issue 16, finding 14), at compile level: a value
//! read from or written for one endpoint can be passed to every other endpoint of the
//! version that has the same concept, and constructors take their common arguments in one
//! order. Before, `member_id_type` was `MemberIdType` on `chat_members.get` but
//! `ChatMembersMemberIdType` elsewhere, `receive_id_type` had four names, `chat.get`'s
//! `chat_mode` was a `String`, `message.list`'s `container_id_type` a free string, and
//! `ReplyMessageBody::new` took `(content, msg_type)` where `CreateMessageBody::new` took
//! `(receive_id, msg_type, content)`: none of this compiled then.
//!
//! The generator's side (the problems it reports for two enums of one concept) is
//! `spec_validation` (cases `enum_*`) and the unit tests of `lark_codegen`.

use lark_openapi::im::v1::chat::GetChatResponse;
use lark_openapi::im::v1::chat_managers::{
    AddManagersChatManagersRequest, DeleteManagersChatManagersRequest,
};
use lark_openapi::im::v1::chat_members::{
    CreateChatMembersRequest, DeleteChatMembersRequest, GetChatMembersRequest,
};
use lark_openapi::im::v1::message::{
    CreateMessageBody, CreateMessageRequest, ForwardMessageBody, ForwardMessageRequest,
    GetMessageRequest, ListMessageRequest, MergeForwardMessageBody, MergeForwardMessageRequest,
    ReplyMessageBody,
};
use lark_openapi::im::v1::thread::{ForwardThreadBody, ForwardThreadRequest};
use lark_openapi::im::v1::{
    CardMsgContentType, ChatMember, ChatMode, ChatSummary, ContainerIdType, MemberIdType, MsgType,
    ReceiveIdType,
};

/// One function for the member ID kind of every chat members and managers endpoint.
fn member_kinds(kind: MemberIdType) -> [Option<MemberIdType>; 5] {
    [
        {
            let mut r = GetChatMembersRequest::new("oc_1");
            r.member_id_type = Some(kind.clone());
            r.member_id_type
        },
        {
            let mut r = CreateChatMembersRequest::new("oc_1");
            r.member_id_type = Some(kind.clone());
            r.member_id_type
        },
        {
            let mut r = DeleteChatMembersRequest::new("oc_1");
            r.member_id_type = Some(kind.clone());
            r.member_id_type
        },
        {
            let mut r = AddManagersChatManagersRequest::new("oc_1");
            r.member_id_type = Some(kind.clone());
            r.member_id_type
        },
        {
            let mut r = DeleteManagersChatManagersRequest::new("oc_1");
            r.member_id_type = Some(kind);
            r.member_id_type
        },
    ]
}

#[test]
fn member_id_type_is_one_enum() {
    for kind in [MemberIdType::OpenId, MemberIdType::AppId] {
        assert_eq!(
            member_kinds(kind.clone()),
            [(); 5].map(|_| Some(kind.clone()))
        );
    }
    // A member read from a listing says its ID kind in the same enum.
    let member: ChatMember = serde_json::from_value(serde_json::json!({
        "member_id_type": "open_id", "member_id": "ou_1", "name": "Ann"
    }))
    .unwrap();
    assert_eq!(member.member_id_type, Some(MemberIdType::OpenId));
    assert_eq!(
        member_kinds(member.member_id_type.unwrap())[2],
        Some(MemberIdType::OpenId)
    );
}

/// One function for the recipient kind of create, forward, merge forward and thread forward.
fn send_requests(kind: ReceiveIdType) -> [ReceiveIdType; 4] {
    [
        CreateMessageRequest::new(
            kind.clone(),
            CreateMessageBody::new("oc_1", MsgType::Text, r#"{"text":"hi"}"#),
        )
        .receive_id_type,
        ForwardMessageRequest::new("om_1", kind.clone(), ForwardMessageBody::new("oc_1"))
            .receive_id_type,
        MergeForwardMessageRequest::new(
            kind.clone(),
            MergeForwardMessageBody::new("oc_1", ["om_1", "om_2"]),
        )
        .receive_id_type,
        ForwardThreadRequest::new("omt_1", kind, ForwardThreadBody::new("oc_1")).receive_id_type,
    ]
}

#[test]
fn receive_id_type_is_one_enum() {
    assert_eq!(
        send_requests(ReceiveIdType::ChatId),
        [(); 4].map(|_| ReceiveIdType::ChatId)
    );
    // The union of what each endpoint documents: thread_id is only for forwarding.
    assert!(ReceiveIdType::VALUES.contains(&"thread_id"));
    assert!(ReceiveIdType::VALUES.contains(&"email"));
}

#[test]
fn chat_mode_is_the_enum_in_every_answer() {
    let chat: GetChatResponse =
        serde_json::from_value(serde_json::json!({"chat_mode": "topic", "name": "Ops"})).unwrap();
    let summary: ChatSummary =
        serde_json::from_value(serde_json::json!({"chat_id": "oc_1", "chat_mode": "topic"}))
            .unwrap();
    let same: Option<ChatMode> = chat.chat_mode.clone();
    assert_eq!(same, Some(ChatMode::Topic));
    assert_eq!(chat.chat_mode, summary.chat_mode);
    // Who owns it: the ID kind of the members endpoints.
    let chat: GetChatResponse =
        serde_json::from_value(serde_json::json!({"owner_id_type": "app_id"})).unwrap();
    let kind: Option<MemberIdType> = chat.owner_id_type;
    assert_eq!(kind, Some(MemberIdType::AppId));
}

#[test]
fn documented_free_strings_are_enums() {
    let mut list = ListMessageRequest::new("omt_1", ContainerIdType::Thread);
    list.card_msg_content_type = Some(CardMsgContentType::RawCardContent);
    assert_eq!(list.container_id_type, ContainerIdType::Thread);
    // The same enum on message.get.
    let mut get = GetMessageRequest::new("om_1");
    get.card_msg_content_type = list.card_msg_content_type.clone();
    assert_eq!(
        get.card_msg_content_type.as_ref().map(|c| c.as_str()),
        Some("raw_card_content")
    );
}

/// Identifiers first, then kinds, then the rest: the body constructors of create and reply
/// take their common arguments (`msg_type`, `content`) in the same order.
#[test]
fn body_constructors_take_common_arguments_in_one_order() {
    fn build<B>(new: impl Fn(MsgType, &'static str) -> B) -> B {
        new(MsgType::Text, r#"{"text":"hi"}"#)
    }
    let create = build(|kind, content| CreateMessageBody::new("oc_1", kind, content));
    let reply = build(ReplyMessageBody::new);
    assert_eq!(
        (create.msg_type, create.content),
        (reply.msg_type, reply.content)
    );
    // Path parameters first, then identifiers, then kinds.
    let list = ListMessageRequest::new("oc_1", ContainerIdType::Chat);
    assert_eq!(list.container_id, "oc_1");
}
