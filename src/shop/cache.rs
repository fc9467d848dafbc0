//! The shop's public reads kept per instance for `shop.cache_ttl_ms`: the aggregator behind a
//! slug, its shop settings, catalogue pages and product pages. Settings saved through this
//! instance are seen at once; stock and catalogue changes (and changes made through another
//! instance) show within the time limit. Checkout also reads the settings, categories and
//! municipalities through it (and the inventory rules through inventory's own cache); prices, products, producers and stock it always reads fresh, and
//! a placed order takes its stock inside its transaction.
use super::{catalogue::ShopProduct, settings::ShopSettings};
use crate::{config::ShopConfig, core::cache::TtlCache};
use entity::{aggregator, category, municipality};
use std::collections::HashMap;
use std::time::Duration;
use uuid::Uuid;

/// The cached reads (see the module).
pub struct ShopCache {
    pub aggregators: TtlCache<String, aggregator::Model>,
    pub settings: TtlCache<Uuid, ShopSettings>,
    pub lists: TtlCache<String, super::catalogue::Page>,
    pub products: TtlCache<(Uuid, Uuid), ShopProduct>,
    /// Every category by code.
    pub categories: TtlCache<(), HashMap<String, category::Model>>,
    /// The municipalities of a prefecture.
    pub municipalities: TtlCache<String, Vec<municipality::Model>>,
}

impl ShopCache {
    /// Empty caches with the configured time limit (0 = no caching).
    pub fn new(cfg: &ShopConfig) -> Self {
        let ttl = Duration::from_millis(cfg.cache_ttl_ms);
        Self {
            aggregators: TtlCache::new(ttl, 1_000),
            settings: TtlCache::new(ttl, 1_000),
            lists: TtlCache::new(ttl, 10_000),
            products: TtlCache::new(ttl, 20_000),
            categories: TtlCache::new(ttl, 1),
            municipalities: TtlCache::new(ttl, 100),
        }
    }
}
