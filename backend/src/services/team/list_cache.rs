//! Member lists answered from memory while their account's member-list
//! version (`db::member_list`) is still the one they were read at: a list
//! asked for again (the Team page reloaded, an API client polling) then
//! costs one indexed read instead of the page's joins and its count.
//!
//! A list is stored under the version read *before* the list was read, so
//! an entry is never older than its version says: a change that lands
//! between the two reads has bumped the version past it, and the next
//! request reads afresh. The version lives in the database and the triggers
//! bump it in the change's transaction, so this holds across processes.
//!
//! Bounded: the [`CAPACITY`] lists used last (`lru`), each at most a page
//! and one record.

use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex, MutexGuard};

use lru::LruCache;

use crate::db::members::{Filter, MemberRecord};

/// How many lists are kept: about 40 KB each for a full page.
pub const CAPACITY: NonZeroUsize = NonZeroUsize::new(256).unwrap();

/// Which list: the account, the filters and the window read.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ListKey {
    account_id: String,
    status: String,
    role: String,
    pattern: String,
    limit: i64,
    offset: i64,
}

impl ListKey {
    pub fn new(account_id: &str, filter: Filter<'_>, limit: i64, offset: i64) -> Self {
        Self {
            account_id: account_id.to_owned(),
            status: filter.status.to_owned(),
            role: filter.role.to_owned(),
            pattern: filter.pattern.to_owned(),
            limit,
            offset,
        }
    }
}

/// A list as read: its records and, once asked for, the filter's total.
#[derive(Debug, Clone)]
pub struct CachedList {
    pub records: Arc<[MemberRecord]>,
    pub total: Option<i64>,
}

struct Entry {
    version: i64,
    list: CachedList,
}

pub struct ListCache {
    lists: Mutex<LruCache<ListKey, Entry>>,
}

impl Default for ListCache {
    fn default() -> Self {
        Self {
            lists: Mutex::new(LruCache::new(CAPACITY)),
        }
    }
}

impl ListCache {
    fn lists(&self) -> MutexGuard<'_, LruCache<ListKey, Entry>> {
        // Each operation leaves the map whole: a poisoned lock is still good.
        self.lists
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The list stored for `key` at `version`, if any. One stored at an
    /// older version is dropped.
    pub fn get(&self, key: &ListKey, version: i64) -> Option<CachedList> {
        let mut lists = self.lists();
        match lists.get(key) {
            Some(entry) if entry.version == version => Some(entry.list.clone()),
            Some(_) => {
                lists.pop(key);
                None
            }
            None => None,
        }
    }

    /// Stores `list`, read after `version` was.
    pub fn put(&self, key: ListKey, version: i64, list: CachedList) {
        self.lists().put(key, Entry { version, list });
    }

    /// How many lists are stored (for tests).
    pub fn len(&self) -> usize {
        self.lists().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(account_id: &str, offset: i64) -> ListKey {
        ListKey::new(account_id, Filter::default(), 51, offset)
    }

    fn list(total: i64) -> CachedList {
        CachedList {
            records: Arc::from(Vec::new()),
            total: Some(total),
        }
    }

    #[test]
    fn a_list_is_answered_only_at_the_version_it_was_stored_at() {
        let cache = ListCache::default();
        cache.put(key("a", 0), 7, list(3));
        assert_eq!(cache.get(&key("a", 0), 7).unwrap().total, Some(3));
        assert!(cache.get(&key("a", 50), 7).is_none(), "another window");
        assert!(cache.get(&key("b", 0), 7).is_none(), "another account");
        assert!(cache.get(&key("a", 0), 8).is_none(), "a newer version");
        assert!(cache.is_empty(), "the stale list is dropped");
    }

    #[test]
    fn the_cache_keeps_the_lists_used_last() {
        let cache = ListCache::default();
        let capacity = i64::try_from(CAPACITY.get()).unwrap();
        for offset in 0..=capacity {
            cache.put(key("a", offset), 1, list(offset));
        }
        assert_eq!(cache.len(), CAPACITY.get());
        assert!(cache.get(&key("a", 0), 1).is_none(), "the oldest went");
        assert!(cache.get(&key("a", capacity), 1).is_some());
    }
}
