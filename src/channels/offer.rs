//! What a channel offers and what each item says: the listing rows of a channel brought in
//! line with the catalogue ([`refresh`]), and the content of an item as the channel is given
//! it ([`contents`]), whose hash decides whether it is pushed (only when it changed).
//!
//! A listing is **live** while its product is sellable (listed, of an approved producer that is
//! not closed today); **paused** (quantity 0 at the channel) while it is not; **delisted**
//! once the product is retired, its SKU deactivated, or the channel no longer offers it.
use super::{
    adapters::{ItemContent, VariantContent},
    domain::{self, ChannelSettings, Kind, ListingState},
    repo,
};
use crate::catalog::repo as catalog_repo;
use crate::{core, error::ApiResult, state::AppState};
use entity::{channel, listing, product, sku};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, ExprTrait, sea_query::Expr,
};
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

/// Product statuses a channel may hear of (listed ⇄ paused, → retired).
const KNOWN: [&str; 3] = ["listed", "paused", "retired"];

/// The channel's content of each of `products` (offered SKUs only), keyed by product.
///
/// # Errors
/// Database failure.
pub async fn contents(
    db: &impl ConnectionTrait,
    c: &channel::Model,
    settings: &ChannelSettings,
    products: &[Uuid],
) -> ApiResult<HashMap<Uuid, ItemContent>> {
    let ps = catalog_repo::all_products_where(
        db,
        Condition::all()
            .add(product::Column::Id.is_in(products.iter().copied()))
            .add(product::Column::AggregatorId.eq(c.aggregator_id)),
    )
    .await?;
    let skus = catalog_repo::skus_of_products(db, products, true).await?;
    let listings: HashMap<Uuid, Uuid> = repo::listings_of_products(db, c.id, products)
        .await?
        .into_iter()
        .map(|l| (l.sku_id, l.id))
        .collect();
    let kind = Kind::parse(&c.kind);
    let mut out = HashMap::new();
    for p in ps {
        let mut variants: Vec<VariantContent> = skus
            .iter()
            .filter(|s| s.product_id == p.id)
            .filter_map(|s| {
                Some(VariantContent {
                    listing_id: *listings.get(&s.id)?,
                    variant_id: domain::variant_id(s.id),
                    sku_code: s.code.clone(),
                    name: s.name.clone(),
                    price: settings.price.apply(s.price_yen),
                    gtin: domain::gtin(s.jan.as_deref(), s.jan_local_only).map(str::to_string),
                    weight_g: s.weight_g,
                })
            })
            .collect();
        variants.sort_by(|a, b| a.sku_code.cmp(&b.sku_code));
        let category = settings.category_map.get(&p.category_code).cloned().or(
            // Shopify takes any product type; Rakuten needs a mapped genreId.
            (kind == Some(Kind::Shopify)).then(|| p.category_code.clone()),
        );
        out.insert(
            p.id,
            ItemContent {
                manage_number: domain::manage_number(p.id),
                title: p.title_ja.clone(),
                description: p.description_ja.clone(),
                category,
                tax_rate: p.tax_rate,
                variants,
            },
        );
    }
    Ok(out)
}

/// What [`refresh`] changed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Refreshed {
    pub created: usize,
    pub to_push: usize,
    pub paused: usize,
    pub resumed: usize,
    pub to_delist: usize,
}

impl Refreshed {
    /// Whether the channel now has work.
    pub fn any(&self) -> bool {
        *self != Self::default()
    }
}

/// Brings channel `c`'s listings in line with the catalogue: a pending listing for each
/// offered SKU of a sellable product that has none; a push for each listing whose content
/// changed; paused / live as sellability changed (with a stock mark, so the quantity follows);
/// a delist for each listing no longer offered.
///
/// # Errors
/// Database failure.
#[tracing::instrument(skip_all, fields(channel.id = %c.id))]
pub async fn refresh(app: &AppState, c: &channel::Model) -> ApiResult<Refreshed> {
    let db = &app.db;
    let settings = super::service::settings_of(c);
    let products = catalog_repo::all_products_where(
        db,
        Condition::all()
            .add(product::Column::AggregatorId.eq(c.aggregator_id))
            .add(product::Column::Status.is_in(KNOWN)),
    )
    .await?;
    let open: HashSet<Uuid> =
        crate::shop::catalogue::open_producers_among(db, c.aggregator_id, None)
            .await?
            .into_keys()
            .collect();
    let by_id: HashMap<Uuid, &product::Model> = products.iter().map(|p| (p.id, p)).collect();
    let skus = catalog_repo::skus_where(
        db,
        Condition::all().add(sku::Column::AggregatorId.eq(c.aggregator_id)),
    )
    .await?;
    let existing: HashMap<Uuid, listing::Model> = repo::listings(db, c.id)
        .await?
        .into_iter()
        .map(|l| (l.sku_id, l))
        .collect();
    let mut out = Refreshed::default();
    let now = core::now();
    let mut new_rows = Vec::new();
    let mut touched_products: HashSet<Uuid> = HashSet::new();
    let (mut pause, mut resume, mut delist) = (Vec::new(), Vec::new(), Vec::new());
    for s in &skus {
        let p = by_id.get(&s.product_id);
        let offered = p.is_some_and(|p| {
            p.status != "retired" && s.active && settings.offer.includes(p.id, &p.category_code)
        });
        let sellable = p.is_some_and(|p| p.status == "listed" && open.contains(&p.producer_id));
        match existing.get(&s.id) {
            None if offered && sellable => {
                new_rows.push(listing::ActiveModel {
                    id: Set(core::new_id()),
                    aggregator_id: Set(c.aggregator_id),
                    channel_id: Set(c.id),
                    sku_id: Set(s.id),
                    product_id: Set(s.product_id),
                    external_id: Set(None),
                    external_variant_id: Set(None),
                    state: Set(ListingState::Pending.as_str().into()),
                    action: Set(Some("push".into())),
                    content_hash: Set(None),
                    last_error: Set(None),
                    buffer_override: Set(None),
                    dirty_seq: Set(1),
                    synced_seq: Set(0),
                    pushed_qty: Set(None),
                    synced_at: Set(None),
                    resync: Set(false),
                    created_at: Set(now),
                    updated_at: Set(now),
                });
                out.created += 1;
            }
            None => {}
            Some(l) => {
                let state = ListingState::parse(&l.state);
                if !offered {
                    if state != Some(ListingState::Delisted)
                        && l.action.as_deref() != Some("delist")
                    {
                        delist.push(l.id);
                    }
                    continue;
                }
                match state {
                    Some(ListingState::Live) if !sellable => pause.push(l.id),
                    Some(ListingState::Paused) if sellable => resume.push(l.id),
                    Some(ListingState::Delisted) if sellable => {
                        // Offered again: pushed afresh.
                        touched_products.insert(s.product_id);
                    }
                    _ => {}
                }
                if sellable || state == Some(ListingState::Live) {
                    touched_products.insert(s.product_id);
                }
            }
        }
    }
    for chunk in new_rows.chunks(500) {
        repo::insert_listings(db, chunk.to_vec()).await?;
    }
    out.paused = set_state(db, &pause, ListingState::Paused).await?;
    out.resumed = set_state(db, &resume, ListingState::Live).await?;
    if !delist.is_empty() {
        for chunk in delist.chunks(500) {
            repo::update_listings(
                db,
                vec![
                    (listing::Column::Action, Expr::value(Some("delist"))),
                    (listing::Column::UpdatedAt, Expr::value(now)),
                ],
                Condition::all().add(listing::Column::Id.is_in(chunk.iter().copied())),
            )
            .await?;
        }
        out.to_delist = delist.len();
    }
    // Content changes: compare each touched product's content hash with what was pushed.
    let mut by_product: HashMap<Uuid, Vec<&listing::Model>> = HashMap::new();
    for l in existing.values() {
        by_product.entry(l.product_id).or_default().push(l);
    }
    let skip: HashSet<Uuid> = pause.iter().chain(&delist).copied().collect();
    let touched: Vec<Uuid> = touched_products.into_iter().collect();
    let mut stale: Vec<Uuid> = Vec::new();
    for chunk in touched.chunks(500) {
        let items = contents(db, c, &settings, chunk).await?;
        for (pid, item) in items {
            let hash = item.hash();
            stale.extend(
                by_product
                    .get(&pid)
                    .into_iter()
                    .flatten()
                    .filter(|l| {
                        l.action.is_none()
                            && l.content_hash.as_deref() != Some(hash.as_str())
                            && l.state != ListingState::Paused.as_str()
                            && !skip.contains(&l.id)
                    })
                    .map(|l| l.id),
            );
        }
    }
    for chunk in stale.chunks(500) {
        repo::update_listings(
            db,
            vec![
                (listing::Column::Action, Expr::value(Some("push"))),
                (listing::Column::UpdatedAt, Expr::value(now)),
            ],
            Condition::all().add(listing::Column::Id.is_in(chunk.iter().copied())),
        )
        .await?;
    }
    out.to_push = stale.len();
    Ok(out)
}

/// Moves listings to `state` and marks their stock (the channel gets 0 or the quantity again).
async fn set_state(
    db: &impl ConnectionTrait,
    ids: &[Uuid],
    state: ListingState,
) -> ApiResult<usize> {
    for chunk in ids.chunks(500) {
        repo::update_listings(
            db,
            vec![
                (listing::Column::State, Expr::value(state.as_str())),
                (
                    listing::Column::DirtySeq,
                    Expr::col(listing::Column::DirtySeq).add(1),
                ),
                (listing::Column::UpdatedAt, Expr::value(core::now())),
            ],
            Condition::all().add(listing::Column::Id.is_in(chunk.iter().copied())),
        )
        .await?;
    }
    Ok(ids.len())
}
