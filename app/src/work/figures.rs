//! What is computed from an organisation's data (the dashboard's figures, pages of issues, boards), kept
//! in the server's memory and served again while that data stands still. Each organisation's data has a version (`org_data_versions`,
//! moved by a trigger in the same transaction as any write to its issues or businesses) which the
//! request reads when it enters the organisation; kept figures are served only at the version they
//! were computed at, so a change made through any server instance is seen by the next request
//! to any instance. Figures that also depend on the clock (what is overdue, the last 30 days) are
//! kept for at most [`FRESH_FOR`].

use std::{
    collections::HashMap,
    future::Future,
    hash::Hash,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use uuid::Uuid;

use super::{
    board::Board,
    dashboard::{Dashboard, Period},
    issues::{IssueFilter, IssuePage},
};

/// How long kept figures are served at most, even when the data has not changed.
pub const FRESH_FOR: Duration = Duration::from_secs(60);

/// What the server keeps: each organisation's dashboards, and the pages of its issue lists
/// (the first pages above all: the list each member opens).
#[derive(Clone)]
pub struct KeptFigures {
    pub(crate) dashboards: Figures<(Uuid, Option<Uuid>, Period), Dashboard>,
    pub(crate) issue_pages: Figures<(Uuid, IssueFilter), IssuePage>,
    pub(crate) boards: Figures<Uuid, Board>,
}

impl KeptFigures {
    /// Nothing kept: every request computes its figures (for measuring that).
    pub fn none() -> Self {
        Self {
            dashboards: Figures::new(0),
            issue_pages: Figures::new(0),
            boards: Figures::new(0),
        }
    }
}

impl Default for KeptFigures {
    fn default() -> Self {
        Self {
            dashboards: Figures::new(4_096),
            // A page is up to 50 issues, a few KB.
            issue_pages: Figures::new(2_048),
            // A board is five pages of issues.
            boards: Figures::new(512),
        }
    }
}

/// Figures of type `V` by what they were computed for (`K`, which names the organisation): at
/// most `capacity` of them, beyond which the older half is let go.
pub struct Figures<K, V> {
    kept: Arc<Mutex<HashMap<K, Kept<V>>>>,
    capacity: usize,
}

struct Kept<V> {
    version: i64,
    at: Instant,
    value: V,
}

impl<K, V> Clone for Figures<K, V> {
    fn clone(&self) -> Self {
        Self {
            kept: self.kept.clone(),
            capacity: self.capacity,
        }
    }
}

impl<K: Eq + Hash, V: Clone> Figures<K, V> {
    pub fn new(capacity: usize) -> Self {
        Self {
            kept: Arc::default(),
            capacity,
        }
    }

    /// The figures kept for `key`, if they were computed at `version` within [`FRESH_FOR`].
    pub fn get(&self, key: &K, version: i64) -> Option<V> {
        let kept = self.kept.lock().ok()?;
        kept.get(key)
            .filter(|k| k.version == version && k.at.elapsed() < FRESH_FOR)
            .map(|k| k.value.clone())
    }

    /// The figures kept for `key` at `version`, or else those `compute` gives, kept from then
    /// on. `compute` is not run when kept figures answer.
    pub async fn or_compute<E>(
        &self,
        key: K,
        version: i64,
        compute: impl Future<Output = Result<V, E>>,
    ) -> Result<V, E> {
        if let Some(kept) = self.get(&key, version) {
            return Ok(kept);
        }
        let value = compute.await?;
        self.keep(key, version, value.clone());
        Ok(value)
    }

    /// Keeps figures computed at `version`, unless newer ones are kept already. With no
    /// capacity, keeps nothing.
    pub fn keep(&self, key: K, version: i64, value: V) {
        if self.capacity == 0 {
            return;
        }
        let Ok(mut kept) = self.kept.lock() else {
            return;
        };
        if kept.get(&key).is_some_and(|k| k.version > version) {
            return;
        }
        if kept.len() >= self.capacity && !kept.contains_key(&key) {
            let mut ages: Vec<Instant> = kept.values().map(|k| k.at).collect();
            ages.sort_unstable();
            let cutoff = ages[ages.len() / 2];
            kept.retain(|_, k| k.at > cutoff);
        }
        kept.insert(
            key,
            Kept {
                version,
                at: Instant::now(),
                value,
            },
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_are_served_only_at_the_version_they_were_computed_at() {
        let figures = Figures::<&str, u32>::new(8);
        assert_eq!(figures.get(&"acme", 1), None);
        figures.keep("acme", 1, 10);
        assert_eq!(figures.get(&"acme", 1), Some(10));
        assert_eq!(figures.get(&"acme", 2), None, "the data moved on");
        assert_eq!(figures.get(&"other", 1), None);
        figures.keep("acme", 2, 20);
        // A slower request that computed at the older version does not replace newer figures.
        figures.keep("acme", 1, 11);
        assert_eq!(figures.get(&"acme", 2), Some(20));
        assert_eq!(figures.get(&"acme", 1), None);
    }

    #[tokio::test]
    async fn kept_figures_answer_without_computing_again() {
        let figures = Figures::<&str, u32>::new(8);
        let computed = std::cell::Cell::new(0);
        let compute = |n: u32| {
            let computed = &computed;
            async move {
                computed.set(computed.get() + 1);
                Ok::<_, ()>(n)
            }
        };
        assert_eq!(figures.or_compute("acme", 1, compute(10)).await, Ok(10));
        assert_eq!(figures.or_compute("acme", 1, compute(99)).await, Ok(10));
        assert_eq!(computed.get(), 1, "the second answer was kept");
        assert_eq!(figures.or_compute("acme", 2, compute(20)).await, Ok(20));
        assert_eq!(computed.get(), 2);
        let failed = figures
            .or_compute("acme", 3, async { Err::<u32, _>(()) })
            .await;
        assert_eq!(failed, Err(()));
        assert_eq!(figures.get(&"acme", 3), None, "a failure is not kept");
    }

    #[test]
    fn the_store_stays_within_its_capacity() {
        let figures = Figures::<usize, usize>::new(100);
        for i in 0..300 {
            figures.keep(i, 0, i);
        }
        assert!(figures.kept.lock().unwrap().len() <= 100);
        assert_eq!(figures.get(&299, 0), Some(299));
    }

    #[test]
    fn figures_without_capacity_are_never_kept() {
        let figures = Figures::<&str, u32>::new(0);
        figures.keep("acme", 1, 10);
        assert_eq!(figures.get(&"acme", 1), None);
    }
}
