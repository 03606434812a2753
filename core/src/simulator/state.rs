//! The simulator's in-memory model: hubs, connections, groups and user-group mappings.
//!
//! Bookkeeping behind one lock; REST routes and client endpoints call into it, and what it
//! does is recorded in its activity log.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use serde_json::{json, Value};

use super::activity::{ActivityLog, Delivery};
use super::clock::{to_system_time, Clock};
use super::delivery::{Frame, Sink, DROPPED_REASON, OVERFLOW_REASON};
use crate::model::PayloadMessage;
use crate::simulator::{ConnectionInfo, GroupInfo, UserGroupMapping};

/// How long a mapping added without a TTL lives.
const DEFAULT_MAPPING_LIFETIME: Duration = Duration::from_secs(365 * 24 * 3600);
/// TTL-less mappings kept per user; the least recently added or updated is dropped beyond it.
pub const MAX_TTL_LESS_MAPPINGS: usize = 100;

#[derive(Debug)]
struct Connection {
    user_id: Option<String>,
    groups: HashSet<String>,
    sink: Sink,
    /// When it connected, on the simulator's clock.
    connected_at_ms: u64,
}

#[derive(Debug, Clone)]
struct Mapping {
    expires_at_ms: u64,
    ttl_less: bool,
    /// Order of the last add/update, to find the oldest TTL-less mapping.
    sequence: u64,
}

/// Whom a send goes to.
#[derive(Clone, Copy)]
enum Recipients<'a> {
    All,
    Group(&'a str),
    User(&'a str),
    Connection(&'a str),
}

#[derive(Debug, Default)]
struct Hub {
    connections: HashMap<String, Connection>,
    groups: HashMap<String, HashSet<String>>,
    users: HashMap<String, HashSet<String>>,
    mappings: HashMap<String, HashMap<String, Mapping>>,
}

impl Hub {
    fn join(&mut self, group: &str, connection_id: &str) -> bool {
        let Some(connection) = self.connections.get_mut(connection_id) else {
            return false;
        };
        connection.groups.insert(group.to_string());
        self.groups
            .entry(group.to_string())
            .or_default()
            .insert(connection_id.to_string());
        true
    }

    fn leave(&mut self, group: &str, connection_id: &str) -> bool {
        let Some(members) = self.groups.get_mut(group) else {
            return false;
        };
        let was_member = members.remove(connection_id);
        if members.is_empty() {
            self.groups.remove(group);
        }
        if let Some(connection) = self.connections.get_mut(connection_id) {
            connection.groups.remove(group);
        }
        was_member
    }

    fn user_connections(&self, user_id: &str) -> Vec<String> {
        self.users
            .get(user_id)
            .map(|ids| ids.iter().cloned().collect())
            .unwrap_or_default()
    }

    fn live_mappings(&mut self, user_id: &str, now_ms: u64) -> Option<&mut HashMap<String, Mapping>> {
        let mappings = self.mappings.get_mut(user_id)?;
        mappings.retain(|_, m| m.expires_at_ms > now_ms);
        Some(mappings)
    }

    /// Delivers to the connections `to` names but the excluded; connections that cannot keep
    /// up are closed with a reason rather than left connected with messages lost. Returns how
    /// many connections got the frame, and the ids of those closed.
    fn deliver(
        &mut self,
        to: Recipients<'_>,
        excluded: &[String],
        frame: &Arc<Frame>,
    ) -> (usize, Vec<String>) {
        let connections = &self.connections;
        let mut delivered = 0;
        let mut overflowed = Vec::new();
        let mut offer = |id: &String| {
            if excluded.contains(id) {
                return;
            }
            match connections.get(id).map(|c| c.sink.deliver(frame)) {
                Some(true) => delivered += 1,
                Some(false) => overflowed.push(id.clone()),
                None => {}
            }
        };
        match to {
            Recipients::All => connections.keys().for_each(&mut offer),
            Recipients::Group(group) => self.groups.get(group).into_iter().flatten().for_each(&mut offer),
            Recipients::User(user) => self.users.get(user).into_iter().flatten().for_each(&mut offer),
            Recipients::Connection(id) => {
                if let Some((id, _)) = connections.get_key_value(id) {
                    offer(id);
                }
            }
        }
        for id in &overflowed {
            if let Some(connection) = self.remove(id) {
                tracing::warn!(connection = %id, "closing a connection whose queue is full");
                connection.sink.close(Some(OVERFLOW_REASON.to_string()));
            }
        }
        (delivered, overflowed)
    }

    /// The non-empty groups with their members, sorted.
    fn group_list(&self) -> Vec<GroupInfo> {
        let mut list: Vec<GroupInfo> = self
            .groups
            .iter()
            .map(|(name, ids)| {
                let mut connection_ids: Vec<String> = ids.iter().cloned().collect();
                connection_ids.sort();
                GroupInfo {
                    name: name.clone(),
                    connection_ids,
                }
            })
            .collect();
        list.sort_by(|a, b| a.name.cmp(&b.name));
        list
    }

    /// (user, group, expiry in ms) of the mappings alive at `now_ms`, sorted by user then group.
    fn mapping_list(&self, now_ms: u64) -> Vec<(String, String, u64)> {
        let mut list: Vec<(String, String, u64)> = self
            .mappings
            .iter()
            .flat_map(|(user, groups)| {
                groups
                    .iter()
                    .filter(|(_, m)| m.expires_at_ms > now_ms)
                    .map(move |(group, m)| (user.clone(), group.clone(), m.expires_at_ms))
            })
            .collect();
        list.sort();
        list
    }

    /// Takes a connection out of the hub, its groups and its user's list.
    fn remove(&mut self, connection_id: &str) -> Option<Connection> {
        let connection = self.connections.remove(connection_id)?;
        for group in &connection.groups {
            if let Some(members) = self.groups.get_mut(group) {
                members.remove(connection_id);
                if members.is_empty() {
                    self.groups.remove(group);
                }
            }
        }
        if let Some(user) = &connection.user_id {
            if let Some(ids) = self.users.get_mut(user) {
                ids.remove(connection_id);
                if ids.is_empty() {
                    self.users.remove(user);
                }
            }
        }
        Some(connection)
    }
}

/// Which connections of a hub an operation addresses.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Scope<'a> {
    Hub,
    Group(&'a str),
    User(&'a str),
}

/// All hubs, keyed by lower-case name; created on first use by any call.
#[derive(Debug, Default)]
pub(crate) struct State {
    hubs: Mutex<BTreeMap<String, Hub>>,
    sequence: AtomicU64,
    /// Bumped by every call that may change a hub, so a watcher knows when to look again.
    version: AtomicU64,
    pub clock: Clock,
    /// Shared with the upstream, which records its calls here too.
    pub activity: Arc<ActivityLog>,
}

impl State {
    fn lock(&self) -> MutexGuard<'_, BTreeMap<String, Hub>> {
        self.hubs.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Runs `f` on hub `name`, creating the hub first if needed.
    fn with_hub<T>(&self, name: &str, f: impl FnOnce(&mut Hub) -> T) -> T {
        let mut hubs = self.lock();
        // Lower-cased only when it has to be: most callers name a hub in lower case already.
        let hub = if name.bytes().any(|b| b.is_ascii_uppercase()) {
            hubs.entry(name.to_ascii_lowercase()).or_default()
        } else {
            match hubs.get_mut(name) {
                Some(hub) => hub,
                None => hubs.entry(name.to_string()).or_default(),
            }
        };
        let result = f(hub);
        drop(hubs);
        self.version.fetch_add(1, Ordering::Relaxed);
        result
    }

    /// A number that changes whenever a hub may have changed.
    pub fn version(&self) -> u64 {
        self.version.load(Ordering::Relaxed)
    }

    /// Records a delivery of `message` to `to` (`all`, `user`, `group`, `connection`) and the
    /// connections closed because they could not keep up.
    fn record_delivery(
        &self,
        hub: &str,
        to: &str,
        name: Option<&str>,
        message: &PayloadMessage,
        outcome: (usize, Vec<String>),
    ) {
        let (recipients, overflowed) = outcome;
        self.activity.record(&Delivery {
            kind: "delivery",
            hub,
            to,
            name,
            target: &message.target,
            recipients,
        });
        for id in overflowed {
            self.record_disconnect(hub, &id, Some(OVERFLOW_REASON));
        }
    }

    fn record_disconnect(&self, hub: &str, connection_id: &str, reason: Option<&str>) {
        self.activity.record(&json!({
            "kind": "disconnected", "hub": hub, "connection": connection_id, "reason": reason,
        }));
    }

    /// Runs `f` on hub `name` if it exists, without creating it.
    fn read_hub<T: Default>(&self, name: &str, f: impl FnOnce(&Hub) -> T) -> T {
        self.lock()
            .get(&name.to_ascii_lowercase())
            .map(f)
            .unwrap_or_default()
    }

    fn next_sequence(&self) -> u64 {
        self.sequence.fetch_add(1, Ordering::Relaxed)
    }

    /// Registers a connection; it joins the groups its user is mapped to.
    pub fn connect(&self, hub: &str, connection_id: &str, user_id: Option<&str>, sink: Sink) {
        let now = self.clock.now_ms();
        self.activity.record(&json!({
            "kind": "connected", "hub": hub, "connection": connection_id, "user": user_id,
            "protocol": sink.protocol_name(),
        }));
        self.with_hub(hub, |h| {
            h.connections.insert(
                connection_id.to_string(),
                Connection {
                    user_id: user_id.map(str::to_string),
                    groups: HashSet::new(),
                    sink,
                    connected_at_ms: now,
                },
            );
            if let Some(user) = user_id {
                h.users
                    .entry(user.to_string())
                    .or_default()
                    .insert(connection_id.to_string());
                let groups: Vec<String> = h
                    .live_mappings(user, now)
                    .map(|m| m.keys().cloned().collect())
                    .unwrap_or_default();
                for group in groups {
                    h.join(&group, connection_id);
                }
            }
        })
    }

    /// Removes a connection from its groups and the hub; tells its sink with `close_reason`
    /// when the service closed it. Returns whether it existed.
    pub fn disconnect(&self, hub: &str, connection_id: &str, close_reason: Option<Option<String>>) -> bool {
        let reason = close_reason.clone().flatten();
        let existed = self.with_hub(hub, |h| {
            let Some(connection) = h.remove(connection_id) else {
                return false;
            };
            if let Some(reason) = close_reason {
                connection.sink.close(reason);
            }
            true
        });
        if existed {
            self.record_disconnect(hub, connection_id, reason.as_deref());
        }
        existed
    }

    /// Closes every connection in `scope` but the excluded, telling each client `reason`.
    pub fn close_connections(&self, hub: &str, scope: Scope<'_>, excluded: &[String], reason: Option<&str>) {
        let closed = self.with_hub(hub, |h| {
            let ids: Vec<String> = match scope {
                Scope::Hub => h.connections.keys().cloned().collect(),
                Scope::Group(group) => h
                    .groups
                    .get(group)
                    .map(|ids| ids.iter().cloned().collect())
                    .unwrap_or_default(),
                Scope::User(user) => h.user_connections(user),
            };
            ids.into_iter()
                .filter(|id| !excluded.contains(id))
                .filter(|id| {
                    h.remove(id)
                        .map(|connection| connection.sink.close(reason.map(str::to_string)))
                        .is_some()
                })
                .collect::<Vec<String>>()
        });
        for id in closed {
            self.record_disconnect(hub, &id, reason);
        }
    }

    /// Takes a connection out of every group it is in (mappings of its user stay).
    pub fn remove_connection_from_all_groups(&self, hub: &str, connection_id: &str) {
        self.with_hub(hub, |h| {
            let groups: Vec<String> = h
                .connections
                .get(connection_id)
                .map(|c| c.groups.iter().cloned().collect())
                .unwrap_or_default();
            for group in groups {
                h.leave(&group, connection_id);
            }
        })
    }

    pub fn send_to_all(&self, hub: &str, message: PayloadMessage, excluded: &[String]) {
        let frame = Arc::new(Frame::new(message));
        let outcome = self.with_hub(hub, |h| h.deliver(Recipients::All, excluded, &frame));
        self.record_delivery(hub, "all", None, &frame.message, outcome);
    }

    pub fn send_to_user(&self, hub: &str, user_id: &str, message: PayloadMessage) {
        let frame = Arc::new(Frame::new(message));
        let outcome = self.with_hub(hub, |h| h.deliver(Recipients::User(user_id), &[], &frame));
        self.record_delivery(hub, "user", Some(user_id), &frame.message, outcome);
    }

    pub fn send_to_connection(&self, hub: &str, connection_id: &str, message: PayloadMessage) {
        let frame = Arc::new(Frame::new(message));
        let outcome = self.with_hub(hub, |h| {
            h.deliver(Recipients::Connection(connection_id), &[], &frame)
        });
        self.record_delivery(hub, "connection", Some(connection_id), &frame.message, outcome);
    }

    pub fn send_to_group(&self, hub: &str, group: &str, message: PayloadMessage, excluded: &[String]) {
        let frame = Arc::new(Frame::new(message));
        let outcome = self.with_hub(hub, |h| h.deliver(Recipients::Group(group), excluded, &frame));
        self.record_delivery(hub, "group", Some(group), &frame.message, outcome);
    }

    pub fn connection_exists(&self, hub: &str, connection_id: &str) -> bool {
        self.with_hub(hub, |h| h.connections.contains_key(connection_id))
    }

    pub fn user_exists(&self, hub: &str, user_id: &str) -> bool {
        self.with_hub(hub, |h| h.users.contains_key(user_id))
    }

    pub fn group_exists(&self, hub: &str, group: &str) -> bool {
        self.with_hub(hub, |h| h.groups.contains_key(group))
    }

    /// Returns false when the connection does not exist.
    pub fn add_connection_to_group(&self, hub: &str, group: &str, connection_id: &str) -> bool {
        self.with_hub(hub, |h| h.join(group, connection_id))
    }

    /// Returns false when the connection was not in the group.
    pub fn remove_connection_from_group(&self, hub: &str, group: &str, connection_id: &str) -> bool {
        self.with_hub(hub, |h| h.leave(group, connection_id))
    }

    pub fn user_in_group(&self, hub: &str, group: &str, user_id: &str) -> bool {
        let now = self.clock.now_ms();
        self.with_hub(hub, |h| {
            h.live_mappings(user_id, now)
                .is_some_and(|m| m.contains_key(group))
        })
    }

    /// Maps the user to the group for `ttl` (a year when `None`; `0` maps nothing) and adds
    /// the user's current connections.
    pub fn add_user_to_group(&self, hub: &str, group: &str, user_id: &str, ttl: Option<Duration>) {
        let now = self.clock.now_ms();
        let sequence = self.next_sequence();
        self.with_hub(hub, |h| {
            for id in h.user_connections(user_id) {
                h.join(group, &id);
            }
            let mappings = h.mappings.entry(user_id.to_string()).or_default();
            mappings.retain(|_, m| m.expires_at_ms > now);
            if ttl == Some(Duration::ZERO) {
                mappings.remove(group);
                return;
            }
            let lifetime = ttl.unwrap_or(DEFAULT_MAPPING_LIFETIME);
            mappings.insert(
                group.to_string(),
                Mapping {
                    expires_at_ms: now.saturating_add(lifetime.as_millis() as u64),
                    ttl_less: ttl.is_none(),
                    sequence,
                },
            );
            let ttl_less = mappings.values().filter(|m| m.ttl_less).count();
            if ttl_less > MAX_TTL_LESS_MAPPINGS {
                let oldest = mappings
                    .iter()
                    .filter(|(_, m)| m.ttl_less)
                    .min_by_key(|(_, m)| m.sequence)
                    .map(|(g, _)| g.clone());
                if let Some(oldest) = oldest {
                    mappings.remove(&oldest);
                }
            }
        })
    }

    /// Removes the mapping and pulls the user's connections out of the group.
    pub fn remove_user_from_group(&self, hub: &str, group: &str, user_id: &str) {
        self.with_hub(hub, |h| {
            if let Some(mappings) = h.mappings.get_mut(user_id) {
                mappings.remove(group);
            }
            for id in h.user_connections(user_id) {
                h.leave(group, &id);
            }
        })
    }

    /// Removes every mapping of the user and pulls its connections out of every group.
    pub fn remove_user_from_all_groups(&self, hub: &str, user_id: &str) {
        self.with_hub(hub, |h| {
            h.mappings.remove(user_id);
            for id in h.user_connections(user_id) {
                let groups: Vec<String> = h.connections[&id].groups.iter().cloned().collect();
                for group in groups {
                    h.leave(&group, &id);
                }
            }
        })
    }

    /// Ends the hub's connections (or the one named) as a failing network would: with a Close
    /// that allows reconnecting when `close`, else without one. Returns the ids dropped.
    pub fn drop_connections(&self, hub: &str, connection_id: Option<&str>, close: bool) -> Vec<String> {
        let dropped = self.with_hub(hub, |h| {
            let ids: Vec<String> = match connection_id {
                Some(id) => h
                    .connections
                    .contains_key(id)
                    .then(|| id.to_string())
                    .into_iter()
                    .collect(),
                None => h.connections.keys().cloned().collect(),
            };
            for id in &ids {
                if let Some(connection) = h.remove(id) {
                    if close {
                        connection.sink.close(Some(DROPPED_REASON.to_string()));
                    } else {
                        connection.sink.drop_connection();
                    }
                }
            }
            ids
        });
        for id in &dropped {
            self.record_disconnect(hub, id, close.then_some(DROPPED_REASON));
        }
        dropped
    }

    /// Stalls the hub's socket connections (or the one named) for `duration`. Returns the ids
    /// paused; virtual clients have no socket and are left alone.
    pub fn pause_connections(
        &self,
        hub: &str,
        connection_id: Option<&str>,
        duration: Duration,
    ) -> Vec<String> {
        self.read_hub(hub, |h| {
            h.connections
                .iter()
                .filter(|(id, _)| connection_id.is_none_or(|wanted| wanted == id.as_str()))
                .filter(|(_, connection)| connection.sink.pause(duration))
                .map(|(id, _)| id.clone())
                .collect()
        })
    }

    /// Ends every connection of every hub, telling each client `reason`.
    pub fn close_all(&self, reason: &str) {
        for hub in self.lock().values_mut() {
            let ids: Vec<String> = hub.connections.keys().cloned().collect();
            for id in ids {
                if let Some(connection) = hub.remove(&id) {
                    connection.sink.close(Some(reason.to_string()));
                }
            }
        }
    }

    /// Names of all hubs, lower case, sorted.
    pub fn hubs(&self) -> Vec<String> {
        self.lock().keys().cloned().collect()
    }

    /// The hub's connections, sorted by id.
    pub fn connections(&self, hub: &str) -> Vec<ConnectionInfo> {
        let mut list: Vec<ConnectionInfo> = self.read_hub(hub, |h| {
            h.connections
                .iter()
                .map(|(id, c)| ConnectionInfo {
                    connection_id: id.clone(),
                    user_id: c.user_id.clone(),
                })
                .collect()
        });
        list.sort_by(|a, b| a.connection_id.cmp(&b.connection_id));
        list
    }

    /// The hub's non-empty groups with their members, sorted.
    pub fn groups(&self, hub: &str) -> Vec<GroupInfo> {
        self.read_hub(hub, Hub::group_list)
    }

    /// Every hub as the dashboard shows it: connections (at most `limit` per hub, with the
    /// total), groups with members, and unexpired user-group mappings with their expiry in ms
    /// since the epoch on the simulator's clock.
    pub fn snapshot(&self, limit: usize) -> Value {
        let now = self.clock.now_ms();
        let hubs = self.lock();
        let hubs: Vec<Value> = hubs
            .iter()
            .map(|(name, h)| {
                let mut ids: Vec<&String> = h.connections.keys().collect();
                ids.sort();
                let connections: Vec<Value> = ids
                    .iter()
                    .take(limit)
                    .map(|id| {
                        let c = &h.connections[*id];
                        let mut groups: Vec<&String> = c.groups.iter().collect();
                        groups.sort();
                        json!({
                            "id": id, "user": c.user_id, "protocol": c.sink.protocol_name(),
                            "connectedAt": c.connected_at_ms, "queuedBytes": c.sink.queued_bytes(),
                            "groups": groups,
                        })
                    })
                    .collect();
                let groups: Vec<Value> = h
                    .group_list()
                    .into_iter()
                    .map(|g| json!({"name": g.name, "connections": g.connection_ids}))
                    .collect();
                let mappings: Vec<Value> = h
                    .mapping_list(now)
                    .into_iter()
                    .map(|(user, group, expires_at_ms)| json!({"user": user, "group": group, "expiresAt": expires_at_ms}))
                    .collect();
                json!({
                    "name": name, "connectionCount": h.connections.len(), "connections": connections,
                    "groups": groups, "userGroups": mappings,
                })
            })
            .collect();
        json!({"now": now, "hubs": hubs})
    }

    /// The hub's unexpired user-group mappings, sorted by user then group.
    pub fn user_groups(&self, hub: &str) -> Vec<UserGroupMapping> {
        let now = self.clock.now_ms();
        self.read_hub(hub, |h| {
            h.mapping_list(now)
                .into_iter()
                .map(|(user_id, group, expires_at_ms)| UserGroupMapping {
                    user_id,
                    group,
                    expires_at: to_system_time(expires_at_ms),
                })
                .collect()
        })
    }
}
