//! Channels, their subscribers, message history, storage and deduplication: the state behind every API.
//!
//! One lock guards it all. A message gets its ULID and is queued to every subscriber's outbox while the
//! lock is held, so every subscriber sees the messages of a channel in the same order, the order of their
//! IDs. Each connection drains its own outbox onto its socket.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime};

use serde_json::Value;
use serde_json::value::RawValue;
use tokio::sync::mpsc;

use crate::auth::Permissions;
use crate::ids::Ulids;

/// How long a `deduplicationId` is remembered: SQS FIFO's deduplication interval.
const DEDUPLICATION_WINDOW: Duration = Duration::from_secs(5 * 60);

/// What a connection's writer task sends.
pub(crate) type Outbox = mpsc::Sender<Arc<str>>;

/// One subscription of one connection to one channel.
pub(crate) struct Subscriber {
    pub(crate) connection_id: String,
    pub(crate) outbox: Outbox,
    /// Notified when the outbox is full and the subscription is dropped.
    pub(crate) too_slow: Arc<tokio::sync::Notify>,
    pub(crate) uid: Option<String>,
    pub(crate) umd: Value,
    pub(crate) omit_from_count: bool,
    /// The permissions the subscription was made with, for storage `observe`.
    pub(crate) permissions: Arc<Permissions>,
}

impl Subscriber {
    /// Queues a frame; `false` when the outbox is full (a connection that cannot keep up, which is told to
    /// close) or gone, and the subscription should end.
    fn send(&self, frame: &Arc<str>) -> bool {
        match self.outbox.try_send(Arc::clone(frame)) {
            Ok(()) => true,
            Err(mpsc::error::TrySendError::Full(_)) => {
                self.too_slow.notify_one();
                false
            }
            Err(mpsc::error::TrySendError::Closed(_)) => false,
        }
    }
}

/// A message kept by `store`.
#[derive(Debug, Clone)]
pub(crate) struct StoredMessage {
    pub(crate) id: String,
    pub(crate) event: String,
    pub(crate) data: Option<Box<RawValue>>,
    pub(crate) meta: Option<Value>,
    /// Unix seconds after which it is gone; `None` keeps it forever.
    pub(crate) expires: Option<i64>,
}

/// A channel storage entry.
#[derive(Debug, Clone)]
pub(crate) struct StorageEntry {
    pub(crate) data: Box<RawValue>,
    pub(crate) meta: Value,
    pub(crate) expires: Option<i64>,
}

#[derive(Default)]
struct Channel {
    subscribers: Vec<Subscriber>,
    history: VecDeque<StoredMessage>,
    storage: BTreeMap<String, StorageEntry>,
}

/// A message ready for delivery.
pub(crate) struct Delivery<'a> {
    pub(crate) channel: &'a str,
    pub(crate) event: &'a str,
    pub(crate) data: Option<&'a RawValue>,
    /// `{uid, umd}` of the client that published it; server messages have none.
    pub(crate) meta: Option<&'a Value>,
    /// Seconds to keep it: 0 not at all, -1 forever.
    pub(crate) store: i64,
    /// The connection that published it, which gets no copy unless `echo`.
    pub(crate) sender: Option<&'a str>,
    pub(crate) echo: bool,
    /// An ID assigned at publish time (eagerIdGeneration); otherwise one is assigned now.
    pub(crate) id: Option<String>,
}

/// A presence channel member.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Member {
    pub(crate) uid: String,
    pub(crate) umd: Value,
}

impl Member {
    pub(crate) fn to_json(&self) -> Value {
        serde_json::json!({"uid": self.uid, "umd": self.umd})
    }
}

/// Why a subscription was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SubscribeRefusal {
    AlreadySubscribed,
    PresenceCapacity,
}

/// The largest total of presence member payloads, as documented.
const PRESENCE_CAPACITY_BYTES: usize = 100 * 1024;

#[derive(Default)]
struct State {
    channels: HashMap<String, Channel>,
    deduplication: HashMap<String, Instant>,
}

/// The local installation's shared state.
#[derive(Default)]
pub(crate) struct Hub {
    state: Mutex<State>,
    pub(crate) ulids: Ulids,
}

pub(crate) fn is_presence(channel: &str) -> bool {
    channel.starts_with("presence.")
}

impl Hub {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether `id` was seen in the last five minutes; remembers it if not.
    pub(crate) fn is_duplicate(&self, id: &str) -> bool {
        let now = Instant::now();
        let mut state = self.lock();
        state
            .deduplication
            .retain(|_, seen| now.duration_since(*seen) < DEDUPLICATION_WINDOW);
        if state.deduplication.contains_key(id) {
            return true;
        }
        state.deduplication.insert(id.to_owned(), now);
        false
    }

    /// Delivers a message to the channel's subscribers (and keeps it if `store` says so); returns its ID.
    pub(crate) fn deliver(&self, message: Delivery<'_>) -> String {
        let now = SystemTime::now();
        let mut state = self.lock();
        let id = message.id.unwrap_or_else(|| self.ulids.next(now));
        let mut frame = String::with_capacity(96 + message.data.map_or(4, |d| d.get().len()));
        frame.push_str("{\"id\":");
        push_json_string(&mut frame, &id);
        frame.push_str(",\"event\":");
        push_json_string(&mut frame, message.event);
        frame.push_str(",\"channel\":");
        push_json_string(&mut frame, message.channel);
        frame.push_str(",\"data\":");
        frame.push_str(message.data.map_or("null", RawValue::get));
        if let Some(meta) = message.meta {
            frame.push_str(",\"meta\":");
            frame.push_str(&meta.to_string());
        }
        frame.push('}');
        let frame: Arc<str> = frame.into();
        // a channel nobody listens to and nothing is kept for needs no entry
        let channel = if message.store == 0 {
            match state.channels.get_mut(message.channel) {
                Some(channel) => channel,
                None => return id,
            }
        } else {
            state
                .channels
                .entry(message.channel.to_owned())
                .or_default()
        };
        channel.subscribers.retain(|s| {
            if !message.echo && message.sender == Some(s.connection_id.as_str()) {
                return true;
            }
            s.send(&frame)
        });
        if message.store != 0 {
            let now = crate::time::unix_seconds(now);
            channel
                .history
                .retain(|m| m.expires.is_none_or(|e| e > now));
            channel.history.push_back(StoredMessage {
                id: id.clone(),
                event: message.event.to_owned(),
                data: message.data.map(ToOwned::to_owned),
                meta: message.meta.cloned(),
                expires: (message.store > 0).then(|| now.saturating_add(message.store)),
            });
        }
        id
    }

    /// Sends one frame to every subscriber of `channel` that `to` selects.
    fn broadcast(channel: &mut Channel, frame: &str, to: impl Fn(&Subscriber) -> bool) {
        let frame: Arc<str> = frame.into();
        channel.subscribers.retain(|s| !to(s) || s.send(&frame));
    }

    /// Writes (or with `null`/`{}` clears) a storage entry and tells the observers, unless nothing changed.
    pub(crate) fn set_storage(
        &self,
        channel_name: &str,
        key: &str,
        data: Option<&RawValue>,
        meta: Value,
        store: i64,
    ) {
        let now = crate::time::unix_seconds(SystemTime::now());
        let cleared = data.is_none_or(|d| matches!(d.get().trim(), "null" | "{}"));
        let mut state = self.lock();
        let channel = state.channels.entry(channel_name.to_owned()).or_default();
        channel
            .storage
            .retain(|_, e| e.expires.is_none_or(|exp| exp > now));
        let previous = channel.storage.get(key).map(|e| e.data.get().to_owned());
        let unchanged = match (&previous, cleared) {
            (None, true) => true,
            (Some(old), false) => data.is_some_and(|d| d.get() == old),
            _ => false,
        };
        if cleared {
            channel.storage.remove(key);
        } else if let Some(data) = data {
            channel.storage.insert(
                key.to_owned(),
                StorageEntry {
                    data: data.to_owned(),
                    meta: meta.clone(),
                    expires: (store > 0).then(|| now.saturating_add(store)),
                },
            );
        }
        if unchanged {
            return;
        }
        let frame = storage_frame(
            "hotsock.channelStorageUpdated",
            channel_name,
            key,
            if cleared { None } else { data },
            &meta,
        );
        Hub::broadcast(channel, &frame, |s| {
            s.permissions.may_observe(channel_name, key)
        });
    }

    /// The storage entry `key` of `channel`, unless unset or expired.
    pub(crate) fn storage_entry(&self, channel: &str, key: &str) -> Option<StorageEntry> {
        let now = crate::time::unix_seconds(SystemTime::now());
        let state = self.lock();
        let entry = state.channels.get(channel)?.storage.get(key)?;
        entry.expires.is_none_or(|e| e > now).then(|| entry.clone())
    }

    /// The storage entries of `channel`, in key order.
    pub(crate) fn storage(&self, channel: &str) -> Vec<(String, StorageEntry)> {
        let now = crate::time::unix_seconds(SystemTime::now());
        self.lock()
            .channels
            .get(channel)
            .map_or_else(Vec::new, |c| {
                c.storage
                    .iter()
                    .filter(|(_, e)| e.expires.is_none_or(|exp| exp > now))
                    .map(|(k, e)| (k.clone(), e.clone()))
                    .collect()
            })
    }

    /// The stored messages of `channel`, oldest first.
    pub(crate) fn history(&self, channel: &str) -> Vec<StoredMessage> {
        let now = crate::time::unix_seconds(SystemTime::now());
        self.lock()
            .channels
            .get(channel)
            .map_or_else(Vec::new, |c| {
                c.history
                    .iter()
                    .filter(|m| m.expires.is_none_or(|e| e > now))
                    .cloned()
                    .collect()
            })
    }

    /// Adds a subscription. Under the same lock, so that nothing published in between can overtake them,
    /// the subscriber first gets `confirm(members)` (its `hotsock.subscribed`; members only for presence
    /// channels) and then every storage entry it observes.
    pub(crate) fn subscribe(
        &self,
        channel_name: &str,
        subscriber: Subscriber,
        confirm: impl FnOnce(&[Member]) -> String,
    ) -> Result<(), SubscribeRefusal> {
        let now = crate::time::unix_seconds(SystemTime::now());
        let mut state = self.lock();
        let channel = state.channels.entry(channel_name.to_owned()).or_default();
        if channel
            .subscribers
            .iter()
            .any(|s| s.connection_id == subscriber.connection_id)
        {
            return Err(SubscribeRefusal::AlreadySubscribed);
        }
        let mut members_after = Vec::new();
        let mut updated = None;
        if is_presence(channel_name) {
            let before = members(channel);
            let member = Member {
                uid: subscriber.uid.clone().unwrap_or_default(),
                umd: subscriber.umd.clone(),
            };
            members_after = before.clone();
            match members_after.iter_mut().find(|m| m.uid == member.uid) {
                Some(existing) => existing.umd = member.umd.clone(),
                None => members_after.push(member.clone()),
            }
            let size: usize = members_after
                .iter()
                .map(|m| m.to_json().to_string().len())
                .sum();
            if size > PRESENCE_CAPACITY_BYTES {
                return Err(SubscribeRefusal::PresenceCapacity);
            }
            match before.iter().find(|m| m.uid == member.uid) {
                // a new uid: the existing members hear of it
                None => {
                    let frame =
                        member_frame("hotsock.memberAdded", channel_name, &member, &members_after);
                    Hub::broadcast(channel, &frame, |_| true);
                }
                // the same uid with new umd: everyone hears of it, the new subscription after its confirmation
                Some(old) if old.umd != member.umd => {
                    let frame = member_frame(
                        "hotsock.memberUpdated",
                        channel_name,
                        &member,
                        &members_after,
                    );
                    Hub::broadcast(channel, &frame, |_| true);
                    updated = Some(frame);
                }
                Some(_) => {}
            }
        }
        let _ = subscriber.outbox.try_send(confirm(&members_after).into());
        if let Some(frame) = updated {
            let _ = subscriber.outbox.try_send(frame.into());
        }
        for (key, entry) in &channel.storage {
            if entry.expires.is_none_or(|e| e > now)
                && subscriber.permissions.may_observe(channel_name, key)
            {
                let frame = storage_frame(
                    "hotsock.channelStorageUpdated",
                    channel_name,
                    key,
                    Some(&entry.data),
                    &entry.meta,
                );
                let _ = subscriber.outbox.try_send(frame.into());
            }
        }
        channel.subscribers.push(subscriber);
        Ok(())
    }

    /// Removes a subscription; `false` if there was none.
    pub(crate) fn unsubscribe(&self, channel_name: &str, connection_id: &str) -> bool {
        let mut state = self.lock();
        let Some(channel) = state.channels.get_mut(channel_name) else {
            return false;
        };
        let Some(at) = channel
            .subscribers
            .iter()
            .position(|s| s.connection_id == connection_id)
        else {
            return false;
        };
        let gone = channel.subscribers.remove(at);
        if is_presence(channel_name) {
            let uid = gone.uid.unwrap_or_default();
            let after = members(channel);
            if !after.iter().any(|m| m.uid == uid) {
                let member = Member { uid, umd: gone.umd };
                let frame = member_frame("hotsock.memberRemoved", channel_name, &member, &after);
                Hub::broadcast(channel, &frame, |_| true);
            }
        }
        true
    }

    /// Every subscription of a channel, `omitFromSubCount` ones included.
    pub(crate) fn subscriber_count(&self, channel_name: &str) -> usize {
        self.lock()
            .channels
            .get(channel_name)
            .map_or(0, |c| c.subscribers.len())
    }

    /// `subscriptionsCount` (without `omitFromSubCount` subscriptions) and presence members of a channel.
    pub(crate) fn channel_info(&self, channel_name: &str) -> (usize, Vec<Member>) {
        let state = self.lock();
        state
            .channels
            .get(channel_name)
            .map_or((0, Vec::new()), |c| {
                (
                    c.subscribers.iter().filter(|s| !s.omit_from_count).count(),
                    if is_presence(channel_name) {
                        members(c)
                    } else {
                        Vec::new()
                    },
                )
            })
    }
}

/// The members of a presence channel: one per `uid`, in order of joining, with the latest `umd`.
fn members(channel: &Channel) -> Vec<Member> {
    let mut out: Vec<Member> = Vec::new();
    for s in &channel.subscribers {
        let uid = s.uid.clone().unwrap_or_default();
        match out.iter_mut().find(|m| m.uid == uid) {
            Some(m) => m.umd = s.umd.clone(),
            None => out.push(Member {
                uid,
                umd: s.umd.clone(),
            }),
        }
    }
    out
}

fn member_frame(event: &str, channel: &str, member: &Member, members: &[Member]) -> String {
    serde_json::json!({
        "event": event,
        "channel": channel,
        "data": {
            "member": member.to_json(),
            "members": members.iter().map(Member::to_json).collect::<Vec<_>>(),
        },
    })
    .to_string()
}

/// A `hotsock.channelStorageUpdated` or `hotsock.channelStorageData` frame.
pub(crate) fn storage_frame(
    event: &str,
    channel: &str,
    key: &str,
    data: Option<&RawValue>,
    meta: &Value,
) -> String {
    let mut frame = String::from("{\"event\":");
    push_json_string(&mut frame, event);
    frame.push_str(",\"channel\":");
    push_json_string(&mut frame, channel);
    frame.push_str(",\"key\":");
    push_json_string(&mut frame, key);
    frame.push_str(",\"data\":");
    frame.push_str(data.map_or("null", RawValue::get));
    frame.push_str(",\"meta\":");
    frame.push_str(&meta.to_string());
    frame.push('}');
    frame
}

pub(crate) fn push_json_string(out: &mut String, s: &str) {
    out.push_str(&serde_json::to_string(s).expect("a string serializes"));
}
