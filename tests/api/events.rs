//! Domain events: recorded with the change that caused them, delivered to each subscriber in a
//! job, and a delivery replayed has one effect.
use crate::{
    db_test,
    helpers::*,
    producers::approved_producer,
    shop::{cart, open_shop, order, stocked_sku},
};
use serde_json::json;
use yuimaru::jobs::{NewJob, enqueue, events::Deliver};

async fn a_replayed_event_delivery_has_one_effect(b: Backend) {
    let app = spawn_app(b).await;
    let op = open_shop(&app).await;
    let (_, _, pt) = approved_producer(&app, &op).await;
    let (_, sku) = stocked_sku(&app, &op, &pt, json!({}), 1080, 5).await;
    // The receiving's own event (inventory.received) is delivered first: what follows counts
    // the order's.
    app.run_pending_jobs().await;
    let receipts = app.count("SELECT COUNT(*) FROM event_receipt").await;
    let delivered = app
        .count("SELECT COUNT(*) FROM job WHERE kind = 'events.deliver' AND status = 'succeeded'")
        .await;
    let o = order(
        &app,
        &cart(json!([{"sku_id": sku, "qty": 1}]), "cash_on_delivery"),
        "ev-1",
    )
    .await;
    // The order wrote its event and one delivery per interested subscriber in its transaction:
    // the buyer's confirmation and (cash on delivery is firm at once) the producers' notice.
    assert_eq!(
        app.count("SELECT COUNT(*) FROM domain_event WHERE kind = 'orders.placed'")
            .await,
        1
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM job WHERE kind = 'events.deliver' AND status = 'queued'")
            .await,
        2
    );
    app.run_pending_jobs().await;
    let number = o["number"].as_str().expect("number").to_string();
    let confirmations = |app: &TestApp| {
        app.emails()
            .iter()
            .filter(|e| e.subject.contains(&number) && e.to == "hanako@example.jp")
            .count()
    };
    assert_eq!(confirmations(&app), 1);
    let sent = app.emails().len();
    assert_eq!(
        app.count("SELECT COUNT(*) FROM event_receipt").await,
        receipts + 2,
        "each subscriber recorded its delivery"
    );

    // Replay both deliveries (as an operator replaying jobs would, or a runner that lost its
    // lease after the work was done): nothing more happens.
    let event_id: uuid::Uuid = {
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
        entity::domain_event::Entity::find()
            .filter(entity::domain_event::Column::Kind.eq("orders.placed"))
            .one(app.db())
            .await
            .expect("query")
            .expect("event")
            .id
    };
    for (i, sub) in ["orders.buyer_email", "orders.sold_notice"]
        .iter()
        .enumerate()
    {
        for round in 0..2 {
            enqueue(
                app.db(),
                NewJob::of(&Deliver {
                    event_id,
                    kind: "orders.placed".into(),
                    subscriber: sub.to_string(),
                })
                .dedupe(format!("replay-{i}-{round}")),
            )
            .await
            .expect("enqueue");
        }
    }
    assert_eq!(app.run_pending_jobs().await, 4);
    assert_eq!(confirmations(&app), 1, "the buyer got one confirmation");
    assert_eq!(app.emails().len(), sent, "no email was sent again");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM event_receipt").await,
        receipts + 2
    );
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM job WHERE kind = 'events.deliver' AND status = 'succeeded'"
        )
        .await,
        delivered + 6
    );

    // A delivery for a subscriber nobody registered is a dead letter, not a silent success.
    enqueue(
        app.db(),
        NewJob::of(&Deliver {
            event_id,
            kind: "orders.placed".into(),
            subscriber: "nobody".into(),
        }),
    )
    .await
    .expect("enqueue");
    app.run_pending_jobs().await;
    assert_eq!(
        app.count("SELECT COUNT(*) FROM job WHERE kind = 'events.deliver' AND status = 'dead'")
            .await,
        1
    );
}
db_test!(
    a_replayed_event_delivery_has_one_effect,
    a_replayed_event_delivery_has_one_effect
);
