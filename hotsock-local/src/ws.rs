//! The WebSocket API as Hotsock's browser client (hotsock-js) speaks it: connect with `?token=`,
//! `hotsock.connected`, `hotsock.subscribe` / `hotsock.unsubscribe` (with the connect token's permissions
//! or a subscribe token), client-published messages, storage get and set, ping, heartbeat and keep-alive.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use axum::extract::ws::{CloseFrame, Message as Frame, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Value, json};
use tokio::sync::{Notify, mpsc};
use tokio::time::{Instant, sleep_until};

use crate::App;
use crate::auth::{Grant, Permissions, Scope};
use crate::hub::{self, Delivery, Outbox, SubscribeRefusal, Subscriber};

/// The longest a connection lasts: API Gateway's two hours.
const CONNECTION_LIFETIME: Duration = Duration::from_secs(2 * 60 * 60);

/// The largest message a client may send: API Gateway's WebSocket message limit, 128 KB.
const MAX_MESSAGE_BYTES: usize = 128 * 1024;

/// `GET /v1?token=…`: verifies the connect token before the upgrade; a refused token gets 401.
pub(crate) async fn upgrade(
    State(app): State<Arc<App>>,
    Query(query): Query<HashMap<String, String>>,
    upgrade: WebSocketUpgrade,
) -> Response {
    let now = crate::time::unix_seconds(SystemTime::now());
    let Some(token) = query.get("token") else {
        return (
            StatusCode::UNAUTHORIZED,
            "a token query parameter is required",
        )
            .into_response();
    };
    match app.authority.verify(token, Scope::Connect, now) {
        Ok(grant) => upgrade
            .max_message_size(MAX_MESSAGE_BYTES)
            .on_upgrade(move |socket| run(app, socket, grant)),
        Err(reason) => {
            tracing::debug!(%reason, "connect token refused");
            (StatusCode::UNAUTHORIZED, format!("Unauthorized: {reason}")).into_response()
        }
    }
}

/// One subscription's identity and permissions.
struct Subscription {
    uid: Option<String>,
    umd: Value,
    permissions: Arc<Permissions>,
}

struct Connection {
    app: Arc<App>,
    id: String,
    uid: Option<String>,
    umd: Value,
    permissions: Arc<Permissions>,
    subscriptions: HashMap<String, Subscription>,
    outbox: Outbox,
    /// Told by the hub when the outbox overflowed: the connection is closed, as API Gateway closes one
    /// that cannot keep up.
    too_slow: Arc<Notify>,
    heartbeat_timeout: Option<Duration>,
}

/// A frame from the client. Unknown attributes are ignored.
#[derive(Deserialize)]
struct Incoming {
    event: Option<String>,
    channel: Option<String>,
    data: Option<Box<RawValue>>,
    key: Option<String>,
}

fn error_frame(channel: Option<&str>, code: &str, message: &str) -> String {
    let mut frame = json!({"event": "hotsock.error", "error": {"code": code, "message": message}});
    if let Some(channel) = channel {
        frame["channel"] = channel.into();
    }
    frame.to_string()
}

async fn run(app: Arc<App>, mut socket: WebSocket, grant: Grant) {
    let now = SystemTime::now();
    let (outbox, mut frames) = mpsc::channel::<Arc<str>>(app.settings.outbox_frames);
    let mut connection = Connection {
        app: Arc::clone(&app),
        id: crate::ids::connection_id(),
        uid: grant.uid.clone(),
        umd: grant.umd.clone(),
        permissions: Arc::new(grant.channels),
        subscriptions: HashMap::new(),
        outbox,
        too_slow: Arc::new(Notify::new()),
        heartbeat_timeout: grant.heartbeat_timeout.map(Duration::from_secs),
    };
    let connected = json!({
        "event": "hotsock.connected",
        "data": {
            "connectionId": connection.id,
            "connectionExpiresAt": crate::time::iso8601(now + CONNECTION_LIFETIME),
            "connectionSecret": crate::ids::alphanumeric(20),
        },
        "meta": {"uid": connection.uid, "umd": connection.umd},
    });
    if socket
        .send(Frame::Text(connected.to_string().into()))
        .await
        .is_err()
    {
        return;
    }
    let auto: Vec<String> = connection
        .permissions
        .auto_subscribe()
        .map(str::to_owned)
        .collect();
    for channel in auto {
        connection.subscribe(&channel, None, true);
    }

    let started = Instant::now();
    let ends = started + CONNECTION_LIFETIME;
    let mut heartbeat_due = connection.heartbeat_timeout.map(|t| started + t);
    let keep_alive = app.settings.keep_alive_interval;
    let mut keep_alive_due = grant.keep_alive.then(|| started + keep_alive);
    let mut shutdown = app.shutdown.subscribe();
    let far = started + Duration::from_secs(365 * 24 * 3600);
    let close = loop {
        tokio::select! {
            frame = frames.recv() => {
                let Some(frame) = frame else { break None };
                if socket.send(Frame::Text(frame.as_ref().into())).await.is_err() {
                    break None;
                }
            }
            incoming = socket.recv() => match incoming {
                Some(Ok(Frame::Text(text))) => {
                    if connection.handle(text.as_str())
                        && let Some(timeout) = connection.heartbeat_timeout
                    {
                        heartbeat_due = Some(Instant::now() + timeout);
                    }
                }
                Some(Ok(Frame::Close(_))) | None => break None,
                // over the size limit, or not WebSocket: say so if the socket still takes a frame
                Some(Err(e)) => {
                    let reason = e.to_string();
                    let code = if reason.contains("too long") { 1009 } else { 1002 };
                    break Some((code, reason));
                }
                Some(Ok(_)) => {}
            },
            () = sleep_until(heartbeat_due.unwrap_or(far)), if heartbeat_due.is_some() => {
                break Some((1000, "heartbeat timeout".to_owned()));
            }
            () = sleep_until(keep_alive_due.unwrap_or(far)), if keep_alive_due.is_some() => {
                keep_alive_due = Some(Instant::now() + keep_alive);
                let _ = connection.outbox.try_send(r#"{"event":"hotsock.keepAlive"}"#.into());
            }
            () = sleep_until(ends) => break Some((1000, "connection lifetime reached".to_owned())),
            () = connection.too_slow.notified() => {
                break Some((1008, "too slow: the outbox is full".to_owned()));
            }
            _ = shutdown.changed() => break Some((1001, "server shutting down".to_owned())),
        }
    };
    if let Some((code, reason)) = close {
        let _ = socket
            .send(Frame::Close(Some(CloseFrame {
                code,
                reason: reason.into(),
            })))
            .await;
    }
    for channel in connection.subscriptions.keys() {
        app.hub.unsubscribe(channel, &connection.id);
    }
}

impl Connection {
    fn reply(&self, frame: String) {
        let _ = self.outbox.try_send(frame.into());
    }

    fn error(&self, channel: Option<&str>, code: &str, message: &str) {
        self.reply(error_frame(channel, code, message));
    }

    /// Acts on one frame from the client; `true` when it was a `hotsock.heartbeat`.
    fn handle(&mut self, text: &str) -> bool {
        let incoming: Incoming = match serde_json::from_str(text) {
            Ok(incoming) => incoming,
            Err(e) => {
                self.error(None, "INVALID_MESSAGE", &format!("not a JSON message: {e}"));
                return false;
            }
        };
        let Some(event) = incoming.event.as_deref() else {
            self.error(
                incoming.channel.as_deref(),
                "INVALID_MESSAGE",
                "event is required",
            );
            return false;
        };
        match event {
            "hotsock.heartbeat" => return true,
            "hotsock.ping" => self.reply(r#"{"event":"hotsock.pong"}"#.into()),
            "hotsock.pong" => {}
            "hotsock.subscribe" => {
                let Some(channel) = incoming.channel.as_deref() else {
                    self.error(None, "INVALID_MESSAGE", "channel is required");
                    return false;
                };
                let token = incoming
                    .data
                    .as_deref()
                    .and_then(|d| serde_json::from_str::<Value>(d.get()).ok())
                    .and_then(|d| d.get("token").and_then(Value::as_str).map(str::to_owned));
                self.subscribe(channel, token.as_deref(), false);
            }
            "hotsock.unsubscribe" => {
                let Some(channel) = incoming.channel.as_deref() else {
                    self.error(None, "INVALID_MESSAGE", "channel is required");
                    return false;
                };
                if self.subscriptions.remove(channel).is_some() {
                    self.app.hub.unsubscribe(channel, &self.id);
                    self.reply(
                        json!({"event": "hotsock.unsubscribed", "channel": channel, "data": {}})
                            .to_string(),
                    );
                } else {
                    self.error(
                        Some(channel),
                        "NOT_SUBSCRIBED",
                        "not subscribed to this channel",
                    );
                }
            }
            "hotsock.channelStorageGet" => self.storage_get(&incoming),
            hotsock::STORAGE_SET_EVENT => self.storage_set(&incoming),
            _ if event.starts_with("hotsock.") => self.error(
                incoming.channel.as_deref(),
                "INVALID_EVENT",
                &format!("{event} is not an event clients can send to hotsock-local"),
            ),
            _ => self.publish(&incoming, event),
        }
        false
    }

    /// Subscribes with the connect token's permissions, or with a subscribe token's.
    fn subscribe(&mut self, channel: &str, token: Option<&str>, auto: bool) {
        if self.subscriptions.contains_key(channel) {
            return self.error(
                Some(channel),
                "ALREADY_SUBSCRIBED",
                "already subscribed to this channel",
            );
        }
        let (uid, umd, permissions) = match token {
            None => (
                self.uid.clone(),
                self.umd.clone(),
                Arc::clone(&self.permissions),
            ),
            Some(token) => {
                let now = crate::time::unix_seconds(SystemTime::now());
                match self.app.authority.verify(token, Scope::Subscribe, now) {
                    Ok(grant) if grant.connection_id.as_deref().is_some_and(|c| c != self.id) => {
                        return self.error(
                            Some(channel),
                            "INVALID_SUBSCRIBE_TOKEN",
                            "the token's connectionId is another connection's",
                        );
                    }
                    // the subscribe token's uid and umd take precedence over the connect token's
                    Ok(grant) => (
                        grant.uid.or_else(|| self.uid.clone()),
                        if grant.umd.is_null() {
                            self.umd.clone()
                        } else {
                            grant.umd
                        },
                        Arc::new(grant.channels),
                    ),
                    Err(reason) => {
                        return self.error(Some(channel), "INVALID_SUBSCRIBE_TOKEN", &reason);
                    }
                }
            }
        };
        if !permissions.may_subscribe(channel) {
            return self.error(
                Some(channel),
                "SUBSCRIBE_PERMISSION_DENIED",
                "the token does not allow subscribing to this channel",
            );
        }
        if hub::is_presence(channel) && uid.as_deref().is_none_or(str::is_empty) {
            return self.error(
                Some(channel),
                "SUBSCRIBE_PERMISSION_DENIED",
                "presence channels need a uid in the token",
            );
        }
        let meta = json!({"uid": uid, "umd": umd});
        let subscriber = Subscriber {
            connection_id: self.id.clone(),
            outbox: self.outbox.clone(),
            too_slow: Arc::clone(&self.too_slow),
            uid: uid.clone(),
            umd: umd.clone(),
            omit_from_count: permissions.omit_from_sub_count(channel),
            permissions: Arc::clone(&permissions),
        };
        let confirm = |members: &[hub::Member]| {
            let mut data = json!({});
            if hub::is_presence(channel) {
                data["members"] = members.iter().map(hub::Member::to_json).collect();
            }
            if auto {
                data["autoSubscribed"] = true.into();
            }
            json!({"event": "hotsock.subscribed", "channel": channel, "data": data, "meta": meta})
                .to_string()
        };
        match self.app.hub.subscribe(channel, subscriber, confirm) {
            Ok(()) => {
                self.subscriptions.insert(
                    channel.to_owned(),
                    Subscription {
                        uid,
                        umd,
                        permissions,
                    },
                );
            }
            Err(SubscribeRefusal::AlreadySubscribed) => {
                self.error(
                    Some(channel),
                    "ALREADY_SUBSCRIBED",
                    "already subscribed to this channel",
                );
            }
            Err(SubscribeRefusal::PresenceCapacity) => self.error(
                Some(channel),
                "PRESENCE_CHANNEL_CAPACITY_REACHED",
                "the presence channel's members are over 100 KB",
            ),
        }
    }

    /// The identity and permissions for `channel`: the subscription's if subscribed, else the connection's.
    fn identity(&self, channel: &str) -> (Option<&String>, &Value, &Permissions) {
        match self.subscriptions.get(channel) {
            Some(s) => (s.uid.as_ref(), &s.umd, &s.permissions),
            None => (self.uid.as_ref(), &self.umd, &self.permissions),
        }
    }

    /// Checks a client's message (with its `data`) as Hotsock checks published messages; on a refusal the
    /// client gets `INVALID_MESSAGE`.
    fn valid(&self, message: hotsock::Message, incoming: &Incoming) -> bool {
        let message = match &incoming.data {
            Some(data) => message.data_json(data.get()),
            None => message,
        };
        match message.validate() {
            Ok(()) => true,
            Err(e) => {
                self.error(
                    Some(message.channel_name()),
                    "INVALID_MESSAGE",
                    &e.to_string(),
                );
                false
            }
        }
    }

    /// The channel and storage key a storage frame names; without both the client gets `INVALID_MESSAGE`.
    fn channel_and_key<'a>(&self, incoming: &'a Incoming) -> Option<(&'a str, &'a str)> {
        match (incoming.channel.as_deref(), incoming.key.as_deref()) {
            (Some(channel), Some(key)) => Some((channel, key)),
            (channel, _) => {
                self.error(channel, "INVALID_MESSAGE", "channel and key are required");
                None
            }
        }
    }

    /// A client-published message: checked as Hotsock checks it, then delivered with `meta`.
    fn publish(&self, incoming: &Incoming, event: &str) {
        let Some(channel) = incoming.channel.as_deref() else {
            return self.error(None, "INVALID_MESSAGE", "channel is required");
        };
        if !self.valid(hotsock::Message::new(channel, event), incoming) {
            return;
        }
        let subscribed = self.subscriptions.contains_key(channel);
        let (uid, umd, permissions) = self.identity(channel);
        if !permissions.may_publish(channel, event, subscribed) {
            return self.error(
                Some(channel),
                "PUBLISH_PERMISSION_DENIED",
                if subscribed {
                    "the token does not allow publishing this event on this channel"
                } else {
                    "publishing needs a subscription, or broadcast permission"
                },
            );
        }
        let meta = json!({"uid": uid, "umd": umd});
        self.app.hub.deliver(Delivery {
            channel,
            event,
            data: incoming.data.as_deref(),
            meta: Some(&meta),
            store: permissions.message_store(channel, event),
            sender: Some(&self.id),
            echo: permissions.echo(channel, event),
            id: None,
        });
    }

    fn storage_get(&self, incoming: &Incoming) {
        let Some((channel, key)) = self.channel_and_key(incoming) else {
            return;
        };
        let (_, _, permissions) = self.identity(channel);
        if !permissions.may_get(channel, key) {
            return self.error(
                Some(channel),
                "STORAGE_PERMISSION_DENIED",
                "the token does not allow get on this key",
            );
        }
        let entry = self.app.hub.storage_entry(channel, key);
        let (data, meta) = match &entry {
            Some(e) => (Some(&*e.data), e.meta.clone()),
            None => (None, Value::Null),
        };
        self.reply(hub::storage_frame(
            "hotsock.channelStorageData",
            channel,
            key,
            data,
            &meta,
        ));
    }

    fn storage_set(&self, incoming: &Incoming) {
        let Some((channel, key)) = self.channel_and_key(incoming) else {
            return;
        };
        let message = hotsock::Message::new(channel, hotsock::STORAGE_SET_EVENT).key(key);
        if !self.valid(message, incoming) {
            return;
        }
        let (uid, umd, permissions) = self.identity(channel);
        if !permissions.may_set(channel, key) {
            return self.error(
                Some(channel),
                "STORAGE_PERMISSION_DENIED",
                "the token does not allow set on this key",
            );
        }
        let meta = json!({"uid": uid, "umd": umd});
        let store = permissions.storage_store(channel, key);
        self.app
            .hub
            .set_storage(channel, key, incoming.data.as_deref(), meta, store);
    }
}
