//! A small per-instance read cache: values kept for a fixed time, shared by all workers.
//!
//! Written here rather than taken from a crate because it needs no eviction policy beyond the
//! time limit and a size cap, and one lock over a hash map is all the shop's public reads need.
//! Concurrent misses of one key are loaded once: the first caller loads, the others wait for
//! its answer (so an expiry under load does not send every waiting request to the database).
use std::{
    collections::HashMap,
    future::Future,
    hash::Hash,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};
use tokio::sync::OnceCell;

type Slot<V> = Arc<OnceCell<Arc<V>>>;

/// Values by key, each reused for `ttl` after it was loaded. A zero `ttl` turns caching off.
pub struct TtlCache<K, V> {
    ttl: Duration,
    cap: usize,
    map: Mutex<HashMap<K, (Instant, Slot<V>)>>,
}

impl<K: Eq + Hash + Clone, V> TtlCache<K, V> {
    /// A cache keeping values for `ttl`, holding at most `cap` keys (it is emptied when full).
    pub fn new(ttl: Duration, cap: usize) -> Self {
        Self {
            ttl,
            cap: cap.max(1),
            map: Mutex::new(HashMap::new()),
        }
    }

    /// The value of `key`: the cached one while it is younger than the time limit, else what
    /// `load` gives. A failed load is not kept: a caller waiting on it loads in turn.
    ///
    /// # Errors
    /// The error `load` returns.
    pub async fn get_or_load<F, Fut, E>(&self, key: K, load: F) -> Result<Arc<V>, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<V, E>>,
    {
        if self.ttl.is_zero() {
            return load().await.map(Arc::new);
        }
        let slot = {
            let mut map = self
                .map
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            let now = Instant::now();
            match map.get(&key) {
                Some((at, slot)) if now.duration_since(*at) < self.ttl => slot.clone(),
                _ => {
                    if map.len() >= self.cap {
                        map.retain(|_, (at, _)| now.duration_since(*at) < self.ttl);
                        if map.len() >= self.cap {
                            map.clear();
                        }
                    }
                    let slot: Slot<V> = Arc::new(OnceCell::new());
                    map.insert(key.clone(), (now, slot.clone()));
                    slot
                }
            }
        };
        slot.get_or_try_init(|| async { load().await.map(Arc::new) })
            .await
            .cloned()
    }

    /// Forgets `key` (its next read loads it again).
    pub fn remove(&self, key: &K) {
        self.map
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[tokio::test]
    async fn a_value_is_loaded_once_until_it_expires_or_is_removed() -> Result<(), String> {
        let c: TtlCache<u8, usize> = TtlCache::new(Duration::from_secs(60), 10);
        let loads = AtomicUsize::new(0);
        let load = || async { Ok::<_, String>(loads.fetch_add(1, Ordering::SeqCst)) };
        assert_eq!(*c.get_or_load(1, load).await?, 0);
        assert_eq!(*c.get_or_load(1, load).await?, 0);
        c.remove(&1);
        assert_eq!(*c.get_or_load(1, load).await?, 1);
        let short: TtlCache<u8, usize> = TtlCache::new(Duration::from_millis(30), 10);
        assert_eq!(*short.get_or_load(1, load).await?, 2);
        tokio::time::sleep(Duration::from_millis(40)).await;
        assert_eq!(*short.get_or_load(1, load).await?, 3);
        let off: TtlCache<u8, usize> = TtlCache::new(Duration::ZERO, 10);
        assert_eq!(*off.get_or_load(1, load).await?, 4);
        assert_eq!(*off.get_or_load(1, load).await?, 5);
        Ok(())
    }

    #[tokio::test]
    async fn errors_are_not_kept_and_concurrent_misses_load_once() -> Result<(), String> {
        let c: TtlCache<u8, usize> = TtlCache::new(Duration::from_secs(60), 10);
        let failed = c
            .get_or_load(1, || async { Err::<usize, _>("down".to_string()) })
            .await;
        assert_eq!(failed.err().as_deref(), Some("down"));
        let loads = AtomicUsize::new(0);
        let load = || async {
            tokio::time::sleep(Duration::from_millis(20)).await;
            Ok::<_, String>(loads.fetch_add(1, Ordering::SeqCst) + 10)
        };
        let (a, b) = tokio::join!(c.get_or_load(1, load), c.get_or_load(1, load));
        assert_eq!((*a?, *b?), (10, 10));
        assert_eq!(loads.load(Ordering::SeqCst), 1);
        Ok(())
    }

    #[tokio::test]
    async fn a_full_cache_makes_room() -> Result<(), String> {
        let c: TtlCache<u8, u8> = TtlCache::new(Duration::from_secs(60), 2);
        for k in 0..5 {
            assert_eq!(
                *c.get_or_load(k, || async move { Ok::<_, String>(k) })
                    .await?,
                k
            );
        }
        let held = c.map.lock().map(|m| m.len()).map_err(|e| e.to_string())?;
        assert!(held <= 2, "{held} keys held");
        Ok(())
    }
}
