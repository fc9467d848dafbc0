//! The operators' review queue: producers, products and revisions waiting for a decision,
//! with the before/after diff of a revision.
use super::extract::{SignedForm, SignedIn};
use super::pages::{Chrome, ctx, error_page, message_page};
use crate::{
    catalog::{
        content::ProductContent,
        service::{self as catalog, Action, ProductFilter},
    },
    core::pagination::Page,
    error::ApiError,
    http::actor::Role,
    producers::service::{self as producers, Decision, ProducerFilter},
    state::AppState,
};
use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web};
use askama::Template;
use std::collections::BTreeMap;
use uuid::Uuid;

/// A producer waiting for review.
pub struct PendingProducer {
    pub id: Uuid,
    pub name: String,
    pub municipality: String,
}

/// A product waiting for review.
pub struct PendingProduct {
    pub id: Uuid,
    pub title: String,
    pub ingredients: String,
    pub allergens: String,
    pub skus: String,
    pub images: Vec<String>,
}

/// A revision waiting for review, with its changes.
pub struct PendingRevision {
    pub id: Uuid,
    pub title: String,
    pub changes: Vec<(String, String, String)>,
}

#[derive(Template)]
#[template(config = "src/askama.toml", path = "web/templates/review.html")]
struct ReviewPage {
    c: Chrome,
    error: bool,
    producers: Vec<PendingProducer>,
    products: Vec<PendingProduct>,
    revisions: Vec<PendingRevision>,
    fields: Vec<&'static str>,
}

fn show(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => "—".into(),
        other => other.to_string(),
    }
}

/// The operators' review page: producers, submitted products, revisions with their diffs.
#[utoipa::path(get, path = "/operator/review", tag = "pages",
    responses((status = 200, description = "review queues", content_type = "text/html"),
        (status = 303, description = "to /login"), (status = 403, description = "not staff", content_type = "text/html")))]
pub async fn review_page(
    app: web::Data<AppState>,
    req: HttpRequest,
    SignedIn(actor): SignedIn,
) -> HttpResponse {
    if actor.require(&[Role::Operator, Role::Admin]).is_err() {
        return message_page(
            &req,
            StatusCode::FORBIDDEN,
            "forbidden.title",
            "forbidden.body",
        );
    }
    let cx = ctx(&req, Some(&actor.locale));
    let page = Page {
        limit: 100,
        after: None,
    };
    let built = async {
        let prods = producers::list_producers(
            &app,
            &actor,
            ProducerFilter {
                status: Some("pending".into()),
                ..Default::default()
            },
            page,
        )
        .await?;
        let submitted = catalog::list_products(
            &app,
            &actor,
            ProductFilter {
                status: Some("submitted".into()),
                ..Default::default()
            },
            page,
        )
        .await?;
        let mut products = Vec::new();
        for p in submitted {
            let d = catalog::get_product(&app, &actor, p.id).await?;
            let content = ProductContent::from_model(&d.product);
            products.push(PendingProduct {
                id: p.id,
                title: p.title_ja,
                ingredients: content.ingredients,
                allergens: content.allergens.join(", "),
                skus: d
                    .skus
                    .iter()
                    .map(|s| format!("{} ¥{}", s.code, s.price_yen))
                    .collect::<Vec<_>>()
                    .join(" / "),
                images: d
                    .images
                    .iter()
                    .map(|i| format!("/api/v1/product-images/{}", i.id))
                    .collect(),
            });
        }
        let mut revisions = Vec::new();
        for r in catalog::pending_revisions(&app, &actor).await? {
            let d = catalog::get_product(&app, &actor, r.product_id).await?;
            if let Some((rev, _, changes)) = d.pending_revision {
                revisions.push(PendingRevision {
                    id: rev.id,
                    title: d.product.title_ja.clone(),
                    changes: changes
                        .iter()
                        .map(|c| (c.field.clone(), show(&c.from), show(&c.to)))
                        .collect(),
                });
            }
        }
        Ok::<_, ApiError>((prods, products, revisions))
    }
    .await;
    let (prods, products, revisions) = match built {
        Ok(x) => x,
        Err(e) => return error_page(&req, &e),
    };
    let page = ReviewPage {
        error: req.query_string().contains("error=1"),
        c: cx.chrome(Some(actor.display_name.clone())),
        producers: prods
            .into_iter()
            .map(|p| PendingProducer {
                id: p.id,
                name: p.legal_name,
                municipality: p.municipality_code,
            })
            .collect(),
        products,
        revisions,
        fields: vec![
            "title_ja",
            "description_ja",
            "ingredients",
            "allergens",
            "net_content",
            "storage",
            "tax_rate",
            "photos",
            "skus",
        ],
    };
    cx.respond(StatusCode::OK, page.render())
}

/// Applies a review decision from the review page:
/// `kind` = producer | product | revision, `decision` = approve | reject.
#[utoipa::path(post, path = "/operator/review/{kind}/{id}/{decision}", tag = "pages",
    params(("kind" = String, Path, description = "producer, product or revision"), ("id" = Uuid, Path, description = "id"),
        ("decision" = String, Path, description = "approve or reject")),
    request_body(content = String, content_type = "application/x-www-form-urlencoded"),
    responses((status = 303, description = "done: back to the review page"), (status = 403, description = "CSRF or role", content_type = "text/html"),
        (status = 404, description = "unknown", content_type = "text/html"), (status = 409, description = "already decided", content_type = "text/html")))]
pub async fn review_decision(
    app: web::Data<AppState>,
    req: HttpRequest,
    form: SignedForm,
    path: web::Path<(String, Uuid, String)>,
) -> HttpResponse {
    let SignedForm { actor, fields: f } = form;
    let (kind, id, decision) = path.into_inner();
    let approve = match decision.as_str() {
        "approve" => true,
        "reject" => false,
        _ => {
            return message_page(
                &req,
                StatusCode::NOT_FOUND,
                "notfound.title",
                "notfound.body",
            );
        }
    };
    let reason = f.opt("reason");
    let mut comments = BTreeMap::new();
    if let Some(r) = &reason {
        let field = f.opt("field").unwrap_or_else(|| "general".into());
        comments.insert(field, r.clone());
    }
    let result = match kind.as_str() {
        "producer" => producers::decide(
            &app,
            &actor,
            id,
            if approve {
                Decision::Approve
            } else {
                Decision::Reject
            },
            reason,
        )
        .await
        .map(|_| ()),
        "product" => catalog::transition(
            &app,
            &actor,
            id,
            if approve {
                Action::Approve
            } else {
                Action::Reject
            },
            if approve { BTreeMap::new() } else { comments },
        )
        .await
        .map(|_| ()),
        "revision" => catalog::decide_revision(
            &app,
            &actor,
            id,
            approve,
            if approve { BTreeMap::new() } else { comments },
        )
        .await
        .map(|_| ()),
        _ => Err(ApiError::NotFound),
    };
    match result {
        Ok(()) => ctx(&req, Some(&actor.locale))
            .redirect("/operator/review")
            .finish(),
        Err(ApiError::Validation { .. }) | Err(ApiError::Conflict { .. }) => {
            ctx(&req, Some(&actor.locale))
                .redirect("/operator/review?error=1")
                .finish()
        }
        Err(e) => error_page(&req, &e),
    }
}
