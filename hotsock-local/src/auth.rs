//! Tokens as Hotsock checks them: the signature against the configured keys (with `kid`), `typ`, `exp`,
//! `nbf`, `aud`, `iss`, `scope`, `heartbeatTimeout`, `singleUse`; and the `channels` permissions, where
//! keys are exact names, `*` wildcards or `#regex:` patterns and an explicit `false` always wins.

use std::collections::HashMap;
use std::sync::Mutex;

use hotsock::{Algorithm, DecodedToken, Verifier};
use regex::Regex;
use serde_json::{Map, Value};

/// One of the installation's signing keys (`SigningKey1*` / `SigningKey2*`).
pub(crate) struct Key {
    pub(crate) verifier: Verifier,
    /// `SigningKeyNIDParameter`: when set, tokens must carry it as `kid`; when blank, any `kid` passes.
    pub(crate) id: Option<String>,
}

/// What the installation checks every token against.
pub(crate) struct Authority {
    pub(crate) keys: Vec<Key>,
    pub(crate) audience: Option<String>,
    pub(crate) issuer: Option<String>,
    /// `jti`s of single-use tokens already used, with their `exp`.
    used: Mutex<HashMap<String, i64>>,
}

/// The operation a token is presented for, and the scope it must hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scope {
    Connect,
    Subscribe,
}

impl Scope {
    fn as_str(self) -> &'static str {
        match self {
            Scope::Connect => "connect",
            Scope::Subscribe => "subscribe",
        }
    }
}

/// A verified token's claims that the local Hotsock acts on.
#[derive(Debug)]
pub(crate) struct Grant {
    pub(crate) uid: Option<String>,
    pub(crate) umd: Value,
    pub(crate) connection_id: Option<String>,
    pub(crate) channels: Permissions,
    pub(crate) keep_alive: bool,
    pub(crate) heartbeat_timeout: Option<u64>,
}

impl Authority {
    pub(crate) fn new(keys: Vec<Key>, audience: Option<String>, issuer: Option<String>) -> Self {
        Authority {
            keys,
            audience,
            issuer,
            used: Mutex::new(HashMap::new()),
        }
    }

    /// Checks `token` for `scope` at `now` (Unix seconds) and returns what it grants, or why it is refused.
    pub(crate) fn verify(&self, token: &str, scope: Scope, now: i64) -> Result<Grant, String> {
        let unverified = DecodedToken::decode_unverified(token).map_err(|e| e.to_string())?;
        let header = unverified.header();
        if header.get("typ").and_then(Value::as_str) != Some("JWT") {
            return Err("the token's typ must be JWT".into());
        }
        let alg: Algorithm = header
            .get("alg")
            .and_then(Value::as_str)
            .and_then(|a| a.parse().ok())
            .ok_or("the token's alg is not a supported algorithm")?;
        let kid = header.get("kid").and_then(Value::as_str);
        let candidates: Vec<&Key> = self
            .keys
            .iter()
            .filter(|k| k.verifier.algorithm() == alg)
            .filter(|k| k.id.as_deref().is_none_or(|id| Some(id) == kid))
            .collect();
        if candidates.is_empty() {
            return Err(format!(
                "no signing key is configured for alg {alg} with kid {}",
                kid.unwrap_or("(none)")
            ));
        }
        let decoded = candidates
            .iter()
            .find_map(|k| k.verifier.verify(token).ok())
            .ok_or("the token's signature does not verify")?;
        let claims = decoded.claims();

        let exp = numeric_date(claims, "exp")?.ok_or("the token has no exp")?;
        if exp <= now {
            return Err("the token has expired".into());
        }
        if let Some(nbf) = numeric_date(claims, "nbf")?
            && nbf > now
        {
            return Err("the token is not valid yet (nbf)".into());
        }
        if let Some(expected) = &self.audience {
            let matches = match claims.get("aud") {
                Some(Value::String(aud)) => aud == expected,
                Some(Value::Array(auds)) => auds.iter().any(|a| a.as_str() == Some(expected)),
                _ => false,
            };
            if !matches {
                return Err(format!("the token's aud does not include {expected:?}"));
            }
        }
        if let Some(expected) = &self.issuer
            && claims.get("iss").and_then(Value::as_str) != Some(expected.as_str())
        {
            return Err(format!("the token's iss is not {expected:?}"));
        }
        let scopes = claims
            .get("scope")
            .and_then(Value::as_str)
            .ok_or("the token has no scope")?;
        if !scopes.split(' ').any(|s| s == scope.as_str()) {
            return Err(format!(
                "the token's scope {scopes:?} does not include {}",
                scope.as_str()
            ));
        }
        let string = |name: &str| -> Result<Option<String>, String> {
            match claims.get(name) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) => Ok(Some(s.clone())),
                Some(_) => Err(format!("the token's {name} must be a string")),
            }
        };
        let flag = |name: &str| -> Result<bool, String> {
            match claims.get(name) {
                None | Some(Value::Null) => Ok(false),
                Some(Value::Bool(b)) => Ok(*b),
                Some(_) => Err(format!("the token's {name} must be true or false")),
            }
        };
        let uid = string("uid")?;
        if uid.as_ref().is_some_and(|u| u.chars().count() > 128) {
            return Err("the token's uid is over 128 characters".into());
        }
        let umd = claims.get("umd").cloned().unwrap_or(Value::Null);
        if serde_json::to_vec(&umd).map_or(0, |v| v.len()) > 1024 {
            return Err("the token's umd is over 1 KiB".into());
        }
        let connection_id = string("connectionId")?;
        if scope == Scope::Subscribe && uid.is_none() && connection_id.is_none() {
            return Err("a subscribe token needs uid or connectionId".into());
        }
        let heartbeat_timeout = match claims.get("heartbeatTimeout") {
            None | Some(Value::Null) => None,
            Some(v) => match v.as_u64() {
                Some(t @ 5..=600) => Some(t),
                _ => return Err("the token's heartbeatTimeout must be 5 to 600 seconds".into()),
            },
        };
        let channels = match claims.get("channels") {
            None | Some(Value::Null) => Permissions::default(),
            Some(Value::Object(map)) => Permissions::parse(map, scope)?,
            Some(_) => return Err("the token's channels must be an object".into()),
        };
        if flag("singleUse")? {
            let jti = string("jti")?.ok_or("a singleUse token needs a jti")?;
            let mut used = self.used.lock().unwrap_or_else(|e| e.into_inner());
            used.retain(|_, exp| *exp > now);
            if used.insert(jti, exp).is_some() {
                return Err("the singleUse token has been used already".into());
            }
        }
        Ok(Grant {
            uid,
            umd,
            connection_id,
            channels,
            keep_alive: flag("keepAlive")?,
            heartbeat_timeout,
        })
    }
}

fn numeric_date(claims: &Map<String, Value>, name: &str) -> Result<Option<i64>, String> {
    match claims.get(name) {
        None => Ok(None),
        Some(Value::Number(n)) => n
            .as_i64()
            .or_else(|| n.as_f64().map(|f| f as i64))
            .map(Some)
            .ok_or_else(|| format!("the token's {name} is not a NumericDate")),
        Some(_) => Err(format!("the token's {name} must be a number")),
    }
}

/// A key of `channels`, `messages` or `storage`: an exact name, a `*` wildcard or a `#regex:` pattern.
#[derive(Debug)]
pub(crate) enum Pattern {
    Exact(String),
    Matching(Regex),
}

impl Pattern {
    fn parse(key: &str) -> Result<Pattern, String> {
        if let Some(re) = key.strip_prefix("#regex:") {
            return Regex::new(re)
                .map(Pattern::Matching)
                .map_err(|e| format!("the pattern {key:?} does not compile: {e}"));
        }
        if key.contains('*') {
            let glob: Vec<String> = key.split('*').map(regex::escape).collect();
            let re = format!("^{}$", glob.join(".*"));
            return Ok(Pattern::Matching(
                Regex::new(&re).expect("an escaped glob compiles"),
            ));
        }
        Ok(Pattern::Exact(key.to_owned()))
    }

    pub(crate) fn matches(&self, name: &str) -> bool {
        match self {
            Pattern::Exact(exact) => exact == name,
            Pattern::Matching(re) => re.is_match(name),
        }
    }

    fn is_exact(&self) -> bool {
        matches!(self, Pattern::Exact(_))
    }
}

/// The directives of one `channels` key.
#[derive(Debug)]
pub(crate) struct ChannelRule {
    pub(crate) pattern: Pattern,
    pub(crate) subscribe: Option<bool>,
    pub(crate) auto_subscribe: bool,
    pub(crate) omit_from_sub_count: bool,
    pub(crate) messages: Vec<(Pattern, MessageRule)>,
    pub(crate) storage: Vec<(Pattern, StorageRule)>,
}

/// The directives of one `messages` key.
#[derive(Debug, Default)]
pub(crate) struct MessageRule {
    pub(crate) publish: Option<bool>,
    pub(crate) broadcast: Option<bool>,
    pub(crate) echo: Option<bool>,
    pub(crate) store: Option<i64>,
}

/// The directives of one `storage` key.
#[derive(Debug, Default)]
pub(crate) struct StorageRule {
    pub(crate) observe: Option<bool>,
    pub(crate) get: Option<bool>,
    pub(crate) set: Option<bool>,
    pub(crate) store: Option<i64>,
}

/// A token's `channels` claim.
#[derive(Debug, Default)]
pub(crate) struct Permissions(pub(crate) Vec<ChannelRule>);

/// Across every matching key: an explicit `false` wins, then any `true`; nothing said is `false`.
pub(crate) fn decide(values: impl IntoIterator<Item = Option<bool>>) -> bool {
    let mut allowed = false;
    for value in values {
        match value {
            Some(false) => return false,
            Some(true) => allowed = true,
            None => {}
        }
    }
    allowed
}

impl Permissions {
    fn parse(map: &Map<String, Value>, scope: Scope) -> Result<Permissions, String> {
        let mut rules = Vec::with_capacity(map.len());
        for (key, value) in map {
            let pattern = Pattern::parse(key)?;
            let Value::Object(directives) = value else {
                return Err(format!("channels.{key} must be an object"));
            };
            let flag = |name: &str| -> Result<Option<bool>, String> {
                match directives.get(name) {
                    None | Some(Value::Null) => Ok(None),
                    Some(Value::Bool(b)) => Ok(Some(*b)),
                    Some(_) => Err(format!("channels.{key}.{name} must be true or false")),
                }
            };
            let auto_subscribe = flag("autoSubscribe")?.unwrap_or(false);
            if (auto_subscribe || directives.contains_key("alias")) && !pattern.is_exact() {
                return Err(format!(
                    "channels.{key}: alias and autoSubscribe are not allowed on wildcard or regex keys"
                ));
            }
            if auto_subscribe && scope != Scope::Connect {
                return Err(format!(
                    "channels.{key}.autoSubscribe is only for connect tokens"
                ));
            }
            let mut messages = Vec::new();
            if let Some(Value::Object(events)) = directives.get("messages") {
                for (event, value) in events {
                    let get = |name: &str| value.get(name);
                    let flag = |name: &str| get(name).and_then(Value::as_bool);
                    messages.push((
                        Pattern::parse(event)?,
                        MessageRule {
                            publish: flag("publish"),
                            broadcast: flag("broadcast"),
                            echo: flag("echo"),
                            store: get("store").and_then(Value::as_i64),
                        },
                    ));
                }
            }
            let mut storage = Vec::new();
            if let Some(Value::Object(keys)) = directives.get("storage") {
                for (storage_key, value) in keys {
                    let flag = |name: &str| value.get(name).and_then(Value::as_bool);
                    storage.push((
                        Pattern::parse(storage_key)?,
                        StorageRule {
                            observe: flag("observe"),
                            get: flag("get"),
                            set: flag("set"),
                            store: value.get("store").and_then(Value::as_i64),
                        },
                    ));
                }
            }
            rules.push(ChannelRule {
                pattern,
                subscribe: flag("subscribe")?,
                auto_subscribe,
                omit_from_sub_count: flag("omitFromSubCount")?.unwrap_or(false),
                messages,
                storage,
            });
        }
        Ok(Permissions(rules))
    }

    fn rules<'a>(&'a self, channel: &'a str) -> impl Iterator<Item = &'a ChannelRule> + 'a {
        self.0.iter().filter(move |r| r.pattern.matches(channel))
    }

    pub(crate) fn may_subscribe(&self, channel: &str) -> bool {
        decide(self.rules(channel).map(|r| r.subscribe))
    }

    pub(crate) fn omit_from_sub_count(&self, channel: &str) -> bool {
        self.rules(channel).any(|r| r.omit_from_sub_count)
    }

    /// The exact channel names marked `autoSubscribe`.
    pub(crate) fn auto_subscribe(&self) -> impl Iterator<Item = &str> {
        self.0
            .iter()
            .filter(|r| r.auto_subscribe)
            .filter_map(|r| match &r.pattern {
                Pattern::Exact(name) => Some(name.as_str()),
                Pattern::Matching(_) => None,
            })
    }

    fn message_rules<'a>(
        &'a self,
        channel: &'a str,
        event: &'a str,
    ) -> impl Iterator<Item = &'a MessageRule> + 'a {
        self.rules(channel)
            .flat_map(|r| r.messages.iter())
            .filter(move |(p, _)| p.matches(event))
            .map(|(_, rule)| rule)
    }

    /// Whether a client may publish `event` on `channel`: with `publish` when subscribed, with `broadcast`
    /// (and no `publish: false`) when not.
    pub(crate) fn may_publish(&self, channel: &str, event: &str, subscribed: bool) -> bool {
        let publish = || self.message_rules(channel, event).map(|r| r.publish);
        if subscribed {
            decide(publish())
                || (decide(self.message_rules(channel, event).map(|r| r.broadcast))
                    && !publish().any(|p| p == Some(false)))
        } else {
            decide(self.message_rules(channel, event).map(|r| r.broadcast))
                && !publish().any(|p| p == Some(false))
        }
    }

    pub(crate) fn echo(&self, channel: &str, event: &str) -> bool {
        decide(self.message_rules(channel, event).map(|r| r.echo))
    }

    /// How long to keep a client message: the largest `store` of the matching rules (0 when none).
    pub(crate) fn message_store(&self, channel: &str, event: &str) -> i64 {
        let stores = self.message_rules(channel, event).filter_map(|r| r.store);
        stores.fold(
            0,
            |acc, s| if s == -1 || acc == -1 { -1 } else { acc.max(s) },
        )
    }

    pub(crate) fn may_observe(&self, channel: &str, key: &str) -> bool {
        decide(self.storage_rules(channel, key).map(|r| r.observe))
    }

    pub(crate) fn may_get(&self, channel: &str, key: &str) -> bool {
        decide(self.storage_rules(channel, key).map(|r| r.get))
    }

    pub(crate) fn may_set(&self, channel: &str, key: &str) -> bool {
        decide(self.storage_rules(channel, key).map(|r| r.set))
    }

    pub(crate) fn storage_store(&self, channel: &str, key: &str) -> i64 {
        self.storage_rules(channel, key)
            .filter_map(|r| r.store)
            .next()
            .unwrap_or(-1)
    }

    fn storage_rules<'a>(
        &'a self,
        channel: &'a str,
        key: &'a str,
    ) -> impl Iterator<Item = &'a StorageRule> + 'a {
        self.rules(channel)
            .flat_map(|r| r.storage.iter())
            .filter(move |(p, _)| p.matches(key))
            .map(|(_, rule)| rule)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn permissions(value: Value) -> Permissions {
        let Value::Object(map) = value else { panic!() };
        Permissions::parse(&map, Scope::Connect).unwrap()
    }

    #[test]
    fn exact_wildcard_and_regex_keys() {
        let p = permissions(json!({
            "chat.lobby": {"subscribe": true},
            "account.123.*": {"subscribe": true},
            "#regex:^org\\.[0-9]+$": {"subscribe": true},
        }));
        assert!(p.may_subscribe("chat.lobby"));
        assert!(!p.may_subscribe("chat.lobby2"));
        assert!(p.may_subscribe("account.123.orders"));
        assert!(p.may_subscribe("account.123.a.b"));
        assert!(!p.may_subscribe("account.1234"));
        assert!(p.may_subscribe("org.42"));
        assert!(!p.may_subscribe("org.42x"));
    }

    #[test]
    fn an_explicit_false_wins_whatever_the_order() {
        for value in [
            json!({"*": {"subscribe": true}, "secret": {"subscribe": false}}),
            json!({"secret": {"subscribe": false}, "*": {"subscribe": true}}),
        ] {
            let p = permissions(value);
            assert!(p.may_subscribe("open"));
            assert!(!p.may_subscribe("secret"));
        }
        // silence is no
        assert!(!permissions(json!({"x": {}})).may_subscribe("x"));
    }

    #[test]
    fn publish_and_broadcast() {
        let p = permissions(json!({
            "room": {"subscribe": true, "messages": {
                "chat": {"publish": true, "echo": true},
                "typing": {"publish": true},
                "usage.*": {"broadcast": true, "store": 60},
                "usage.secret": {"publish": false},
            }}
        }));
        assert!(p.may_publish("room", "chat", true));
        assert!(!p.may_publish("room", "chat", false));
        assert!(p.echo("room", "chat"));
        assert!(!p.echo("room", "typing"));
        assert!(p.may_publish("room", "usage.click", false));
        assert!(!p.may_publish("room", "usage.secret", false));
        assert_eq!(p.message_store("room", "usage.click"), 60);
        assert!(!p.may_publish("room", "other", true));
    }

    #[test]
    fn bad_channel_claims_reject_the_token() {
        for value in [
            json!({"#regex:(": {"subscribe": true}}),
            json!({"a.*": {"autoSubscribe": true}}),
            json!({"a": {"subscribe": "yes"}}),
            json!({"a": true}),
        ] {
            let Value::Object(map) = value else { panic!() };
            assert!(Permissions::parse(&map, Scope::Connect).is_err(), "{map:?}");
        }
    }
}
