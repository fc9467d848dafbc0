//! The shop's pages for buyers: browse and search (`/{slug}/shop`), a product page, the cart
//! (a cookie of SKU ids and quantities), the checkout form, the final confirmation screen with
//! the six items of 特商法 12条の6, placing the order (one Idempotency-Key per confirmation
//! screen, so a double submit places one order), and the 特商法 disclosure page. Card payment
//! needs the provider's script in the browser and is offered through the API only.
use super::extract::{CheckedForm, CsrfToken};
use super::pages::{Chrome, FieldErrors, ctx};
use crate::{
    core::money::yen,
    error::ApiError,
    orders::domain::{Contact, TIME_SLOTS},
    shop::{
        catalogue::{self, ShopFilter, ShopProduct},
        checkout::{CartLine, CheckoutRequest},
    },
    state::AppState,
};
use actix_web::{
    HttpRequest, HttpResponse,
    cookie::{Cookie, SameSite},
    http::StatusCode,
    web,
};
use askama::Template;
use serde::Deserialize;
use uuid::Uuid;

const CART_COOKIE: &str = "yuimaru_cart";
const MAX_CART_LINES: usize = 30;

/// Cart lines from the cookie (`{sku}~{qty}_…`); anything unreadable is dropped.
pub(super) fn cart_of(req: &HttpRequest) -> Vec<(Uuid, i64)> {
    req.cookie(CART_COOKIE)
        .map(|c| {
            c.value()
                .split('_')
                .filter_map(|e| {
                    let (id, q) = e.split_once('~')?;
                    Some((Uuid::parse_str(id).ok()?, q.parse::<i64>().ok()?))
                })
                .filter(|(_, q)| (1..=999).contains(q))
                .take(MAX_CART_LINES)
                .collect()
        })
        .unwrap_or_default()
}

pub(super) fn cart_cookie(lines: &[(Uuid, i64)], secure: bool) -> Cookie<'static> {
    let v: Vec<String> = lines.iter().map(|(id, q)| format!("{id}~{q}")).collect();
    Cookie::build(CART_COOKIE, v.join("_"))
        .path("/")
        .http_only(true)
        .secure(secure)
        .same_site(SameSite::Lax)
        .max_age(actix_web::cookie::time::Duration::days(30))
        .finish()
}

pub(super) fn secure(app: &AppState) -> bool {
    app.settings.server.secure_cookies
}

/// A product as a list card.
struct Card {
    id: Uuid,
    title: String,
    producer: String,
    price: String,
    sold_out: bool,
    temperature: String,
}

impl Card {
    fn of(p: &ShopProduct, en: bool) -> Self {
        Self {
            id: p.product.id,
            title: title(p, en),
            producer: p.producer.legal_name.clone(),
            price: yen(p.price_from()),
            sold_out: !p.in_stock(),
            temperature: p.product.temperature_class.clone(),
        }
    }
}

pub(super) fn title(p: &ShopProduct, en: bool) -> String {
    if en {
        p.product
            .title_en
            .clone()
            .filter(|t| !t.is_empty())
            .unwrap_or_else(|| p.product.title_ja.clone())
    } else {
        p.product.title_ja.clone()
    }
}

#[derive(Template)]
#[template(config = "src/askama.toml", path = "web/templates/shop_list.html")]
struct ListPage {
    c: Chrome,
    slug: String,
    q: String,
    temperature: String,
    sort: String,
    cards: Vec<Card>,
    next: Option<String>,
    error: Option<&'static str>,
    cart_units: i64,
}

/// The default aggregator's shop (`server.default_aggregator`): the bare public path.
#[utoipa::path(get, path = "/shop", tag = "pages",
    responses((status = 303, description = "to /{default}/shop")))]
pub async fn default_shop(app: web::Data<AppState>) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((
            "location",
            format!("/{}/shop", app.settings.server.default_aggregator),
        ))
        .finish()
}

/// Browse query.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BrowseQuery {
    pub q: Option<String>,
    pub temperature: Option<String>,
    pub category: Option<String>,
    pub island: Option<String>,
    pub sort: Option<String>,
    pub cursor: Option<String>,
    pub lang: Option<String>,
}

/// The shop's product list with search, filters, sort and pages.
#[utoipa::path(get, path = "/{slug}/shop", tag = "pages",
    params(("slug" = String, Path, description = "aggregator"), BrowseQuery),
    responses((status = 200, description = "HTML"), (status = 404, description = "HTML"), (status = 422, description = "HTML: a bad filter")))]
pub async fn browse(
    app: web::Data<AppState>,
    req: HttpRequest,
    slug: web::Path<String>,
    q: web::Query<BrowseQuery>,
) -> HttpResponse {
    let cx = ctx(&req, None);
    let Ok(agg) = catalogue::shop_aggregator(&app, &slug).await else {
        return super::not_found_page(&req);
    };
    let q = q.into_inner();
    let none_if_empty = |v: Option<String>| v.filter(|s| !s.trim().is_empty());
    let found = catalogue::list(
        &app,
        agg.id,
        ShopFilter {
            q: none_if_empty(q.q.clone()),
            island: none_if_empty(q.island),
            municipality: None,
            category: none_if_empty(q.category),
            tag: None,
            temperature: none_if_empty(q.temperature.clone()),
            producer_id: None,
            price_min: None,
            price_max: None,
            in_stock: None,
            sort: none_if_empty(q.sort.clone()),
            limit: Some(20),
            cursor: none_if_empty(q.cursor),
        },
    )
    .await;
    let en = cx.t.lang() == "en";
    let (cards, next, error, status) = match found {
        Ok(page) => (
            page.items.iter().map(|p| Card::of(p, en)).collect(),
            page.next.clone(),
            None,
            StatusCode::OK,
        ),
        Err(ApiError::Validation { .. } | ApiError::BadRequest { .. }) => (
            Vec::new(),
            None,
            Some("shop.bad_filter"),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        Err(e) => return super::pages::error_page(&req, &e),
    };
    let page = ListPage {
        c: cx.chrome(None),
        slug: agg.slug.clone(),
        q: q.q.unwrap_or_default(),
        temperature: q.temperature.unwrap_or_default(),
        sort: q.sort.unwrap_or_default(),
        cards,
        next,
        error,
        cart_units: cart_of(&req).iter().map(|(_, q)| q).sum(),
    };
    cx.respond(status, page.render())
}

#[derive(Template)]
#[template(config = "src/askama.toml", path = "web/templates/shop_product.html")]
struct ProductPage {
    c: Chrome,
    slug: String,
    title: String,
    story: String,
    producer: String,
    p: entity::product::Model,
    allergens: String,
    /// (sku id, name, price, available)
    skus: Vec<(Uuid, String, String, i64)>,
    images: Vec<String>,
    reduced: bool,
}

/// A product page: story, photos, label data, allergens, tax-included prices, add to cart.
#[utoipa::path(get, path = "/{slug}/shop/products/{id}", tag = "pages",
    params(("slug" = String, Path, description = "aggregator"), ("id" = Uuid, Path, description = "product id")),
    responses((status = 200, description = "HTML"), (status = 404, description = "HTML")))]
pub async fn product_page(
    app: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<(String, Uuid)>,
) -> HttpResponse {
    let cx = ctx(&req, None);
    let (slug, id) = path.into_inner();
    let found = async {
        let agg = catalogue::shop_aggregator(&app, &slug).await?;
        catalogue::get(&app, agg.id, id).await
    }
    .await;
    let p = match found {
        Ok(p) => p,
        Err(ApiError::NotFound) => return super::not_found_page(&req),
        Err(e) => return super::pages::error_page(&req, &e),
    };
    let en = cx.t.lang() == "en";
    let story = if en {
        p.product
            .description_en
            .clone()
            .filter(|d| !d.is_empty())
            .unwrap_or_else(|| p.product.description_ja.clone())
    } else {
        p.product.description_ja.clone()
    };
    let allergens: Vec<String> = serde_json::from_str(&p.product.allergens).unwrap_or_default();
    let page = ProductPage {
        c: cx.chrome(None),
        slug,
        title: title(&p, en),
        story,
        producer: p.producer.legal_name.clone(),
        allergens: allergens.join("、"),
        skus: p
            .skus
            .iter()
            .map(|s| {
                (
                    s.sku.id,
                    s.sku.name.clone(),
                    yen(s.sku.price_yen),
                    s.available,
                )
            })
            .collect(),
        images: p
            .image_ids
            .iter()
            .map(|i| format!("/api/v1/product-images/{i}"))
            .collect(),
        reduced: p.product.tax_rate == 8,
        p: p.product.clone(),
    };
    cx.respond(StatusCode::OK, page.render())
}

/// Adding a SKU to the cart (or setting its quantity; 0 removes it).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct CartForm {
    pub csrf_token: String,
    pub sku_id: Uuid,
    pub qty: i64,
    /// `set` replaces the quantity; otherwise it is added.
    #[serde(default)]
    pub mode: Option<String>,
}

impl CsrfToken for CartForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

/// Puts a SKU into the cart cookie, then shows the cart.
#[utoipa::path(post, path = "/{slug}/shop/cart", tag = "pages",
    params(("slug" = String, Path, description = "aggregator")),
    responses((status = 303, description = "to the cart"), (status = 403, description = "HTML"), (status = 422, description = "HTML")))]
pub async fn cart_submit(
    app: web::Data<AppState>,
    req: HttpRequest,
    slug: web::Path<String>,
    CheckedForm(form): CheckedForm<CartForm>,
) -> HttpResponse {
    if !(0..=999).contains(&form.qty) {
        return super::pages::message_page(
            &req,
            StatusCode::UNPROCESSABLE_ENTITY,
            "shop.cart",
            "shop.bad_qty",
        );
    }
    let mut lines = cart_of(&req);
    match lines.iter_mut().find(|(id, _)| *id == form.sku_id) {
        Some(l) if form.mode.as_deref() == Some("set") => l.1 = form.qty,
        Some(l) => l.1 = (l.1 + form.qty).min(999),
        None => lines.push((form.sku_id, form.qty)),
    }
    lines.retain(|(_, q)| *q > 0);
    lines.truncate(MAX_CART_LINES);
    let mut r = ctx(&req, None).redirect(&format!("/{slug}/shop/cart"));
    r.cookie(cart_cookie(&lines, secure(&app)));
    r.finish()
}

#[derive(Template)]
#[template(config = "src/askama.toml", path = "web/templates/shop_cart.html")]
struct CartPage {
    c: Chrome,
    slug: String,
    /// (sku id, title, unit price, qty, line total)
    lines: Vec<(Uuid, String, String, i64, String)>,
    goods_total: String,
    prefectures: Vec<(String, String)>,
    slots: Vec<&'static str>,
    methods: Vec<String>,
    /// (form field, value) of the buyer and the gift recipient.
    buyer_fields: Vec<(&'static str, String)>,
    gift_fields: Vec<(&'static str, String)>,
    f: CheckoutForm,
    errors: FieldErrors,
    refusal: Option<String>,
}

/// The checkout form (buyer, optional gift recipient, time slot, payment).
#[derive(Debug, Default, Clone, Deserialize, utoipa::ToSchema)]
pub struct CheckoutForm {
    #[serde(default)]
    pub csrf_token: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub kana: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub postal_code: String,
    #[serde(default)]
    pub prefecture: String,
    #[serde(default)]
    pub city: String,
    #[serde(default)]
    pub address1: String,
    #[serde(default)]
    pub address2: String,
    #[serde(default)]
    pub to_name: String,
    #[serde(default)]
    pub to_phone: String,
    #[serde(default)]
    pub to_postal_code: String,
    #[serde(default)]
    pub to_prefecture: String,
    #[serde(default)]
    pub to_city: String,
    #[serde(default)]
    pub to_address1: String,
    #[serde(default)]
    pub to_address2: String,
    #[serde(default)]
    pub time_slot: String,
    #[serde(default)]
    pub payment_method: String,
    #[serde(default)]
    pub age_confirmed: Option<String>,
}

impl CsrfToken for CheckoutForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

impl CheckoutForm {
    pub(super) fn request(&self, cart: &[(Uuid, i64)], locale: &str) -> CheckoutRequest {
        let ship_to = (!self.to_name.trim().is_empty()).then(|| Contact {
            name: self.to_name.clone(),
            kana: String::new(),
            email: String::new(),
            phone: self.to_phone.clone(),
            postal_code: self.to_postal_code.clone(),
            prefecture: self.to_prefecture.clone(),
            city: self.to_city.clone(),
            address1: self.to_address1.clone(),
            address2: self.to_address2.clone(),
        });
        CheckoutRequest {
            lines: cart
                .iter()
                .map(|(sku_id, qty)| CartLine {
                    sku_id: *sku_id,
                    qty: *qty,
                })
                .collect(),
            buyer: Contact {
                name: self.name.clone(),
                kana: self.kana.clone(),
                email: self.email.clone(),
                phone: self.phone.clone(),
                postal_code: self.postal_code.clone(),
                prefecture: self.prefecture.clone(),
                city: self.city.clone(),
                address1: self.address1.clone(),
                address2: self.address2.clone(),
            },
            ship_to,
            time_slot: (!self.time_slot.is_empty()).then(|| self.time_slot.clone()),
            payment_method: self.payment_method.clone(),
            age_confirmed: self.age_confirmed.is_some(),
            expected_total: None,
            locale: Some(locale.to_string()),
        }
    }
}

pub(super) async fn cart_page(
    app: &AppState,
    req: &HttpRequest,
    slug: &str,
    f: CheckoutForm,
    errors: FieldErrors,
    refusal: Option<String>,
    status: StatusCode,
) -> HttpResponse {
    let cx = ctx(req, None);
    let Ok(agg) = catalogue::shop_aggregator(app, slug).await else {
        return super::not_found_page(req);
    };
    let en = cx.t.lang() == "en";
    let loaded = async {
        let cart = crate::shop::cart::cart(app, agg.id, &cart_of(req)).await?;
        let prefectures = crate::reference::service::prefectures(&app.db).await?;
        Ok::<_, ApiError>((cart, prefectures))
    };
    let (cart, prefectures) = match loaded.await {
        Ok(v) => v,
        Err(e) => return super::pages::error_page(req, &e),
    };
    let lines = cart
        .items
        .iter()
        .map(|i| {
            (
                i.sku_id,
                title(&i.product, en),
                yen(i.unit_price),
                i.qty,
                yen(i.line_total),
            )
        })
        .collect();
    let prefectures = prefectures
        .into_iter()
        .map(|p| (p.code, if en { p.name_en } else { p.name_ja }))
        .collect();
    let methods = cart.page_methods;
    let total = cart.goods_total;
    let page = CartPage {
        c: cx.chrome(None),
        slug: slug.to_string(),
        lines,
        goods_total: yen(total),
        prefectures,
        slots: TIME_SLOTS.to_vec(),
        methods,
        buyer_fields: vec![
            ("name", f.name.clone()),
            ("kana", f.kana.clone()),
            ("email", f.email.clone()),
            ("phone", f.phone.clone()),
            ("postal_code", f.postal_code.clone()),
            ("city", f.city.clone()),
            ("address1", f.address1.clone()),
            ("address2", f.address2.clone()),
        ],
        gift_fields: vec![
            ("to_name", f.to_name.clone()),
            ("to_phone", f.to_phone.clone()),
            ("to_postal_code", f.to_postal_code.clone()),
            ("to_city", f.to_city.clone()),
            ("to_address1", f.to_address1.clone()),
            ("to_address2", f.to_address2.clone()),
        ],
        f,
        errors,
        refusal,
    };
    cx.respond(status, page.render())
}

/// The cart with the checkout form.
#[utoipa::path(get, path = "/{slug}/shop/cart", tag = "pages",
    params(("slug" = String, Path, description = "aggregator")),
    responses((status = 200, description = "HTML"), (status = 404, description = "HTML")))]
pub async fn cart(
    app: web::Data<AppState>,
    req: HttpRequest,
    slug: web::Path<String>,
) -> HttpResponse {
    let f = CheckoutForm {
        payment_method: "bank_transfer".into(),
        ..CheckoutForm::default()
    };
    cart_page(
        &app,
        &req,
        &slug,
        f,
        FieldErrors::default(),
        None,
        StatusCode::OK,
    )
    .await
}
