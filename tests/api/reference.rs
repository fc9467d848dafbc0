use crate::{db_test, helpers::*};
use serde_json::Value;

async fn reference_data_is_seeded_and_filterable(b: Backend) {
    let app = spawn_app(b).await;
    let prefs: Value = reqwest::get(app.url("/api/v1/prefectures"))
        .await
        .expect("r")
        .json()
        .await
        .expect("json");
    let prefs = prefs["items"].as_array().expect("items");
    assert_eq!(prefs.len(), 47);
    assert_eq!(prefs[46]["name_ja"], "沖縄県");
    let munis: Value = reqwest::get(app.url("/api/v1/municipalities?prefecture_code=47"))
        .await
        .expect("r")
        .json()
        .await
        .expect("json");
    let munis = munis["items"].as_array().expect("items");
    assert_eq!(munis.len(), 41);
    assert!(
        munis
            .iter()
            .any(|m| m["code"] == "47207" && m["name_ja"] == "石垣市")
    );
    assert!(
        munis
            .iter()
            .any(|m| m["code"] == "47214" && m["name_ja"] == "宮古島市")
    );
    let islands: Value = reqwest::get(app.url("/api/v1/islands?prefecture_code=47"))
        .await
        .expect("r")
        .json()
        .await
        .expect("json");
    let names: Vec<&str> = islands["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|i| i["name_ja"].as_str())
        .collect();
    for want in ["石垣島", "宮古島", "久米島", "与那国島"] {
        assert!(names.contains(&want), "{want} in {names:?}");
    }
    let r = reqwest::get(app.url("/api/v1/municipalities?prefecture_code=x"))
        .await
        .expect("r");
    assert_error(r, 422, "validation_failed").await;
    let empty: Value = reqwest::get(app.url("/api/v1/municipalities?prefecture_code=13"))
        .await
        .expect("r")
        .json()
        .await
        .expect("json");
    assert_eq!(empty["items"].as_array().map(Vec::len), Some(0));
}
db_test!(
    prefectures_municipalities_and_islands_are_seeded,
    reference_data_is_seeded_and_filterable
);
