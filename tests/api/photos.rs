//! Product photos over HTTP: content checks, limits, metadata stripping, visibility.
use crate::{db_test, helpers::*, producers::approved_producer};
use image::{DynamicImage, ImageBuffer, ImageFormat, Rgb};
use serde_json::{Value, json};
use std::io::Cursor;
use yuimaru::http::actor::Role;

fn jpeg(w: u32, h: u32) -> Vec<u8> {
    let img = DynamicImage::ImageRgb8(ImageBuffer::from_fn(w, h, |x, y| {
        Rgb([(x % 255) as u8, (y % 255) as u8, 90])
    }));
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, ImageFormat::Jpeg).expect("encode");
    out.into_inner()
}

fn png(w: u32, h: u32) -> Vec<u8> {
    let img = DynamicImage::ImageRgb8(ImageBuffer::from_pixel(w, h, Rgb([10u8, 120, 140])));
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, ImageFormat::Png).expect("encode");
    out.into_inner()
}

/// A JPEG carrying an EXIF block with a GPS-like marker.
pub fn jpeg_with_gps(w: u32, h: u32) -> Vec<u8> {
    let base = jpeg(w, h);
    let mut payload = b"Exif\0\0MM\0\x2a\0\0\0\x08\0\0\0\0\0\0".to_vec();
    payload.extend_from_slice(b"GPS 24.3448N 124.1572E home of the producer");
    let len = (payload.len() + 2) as u16;
    let mut out = base[..2].to_vec();
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(&payload);
    out.extend_from_slice(&base[2..]);
    out
}

pub async fn upload(
    app: &TestApp,
    token: &str,
    product_id: &str,
    bytes: Vec<u8>,
    filename: &str,
) -> reqwest::Response {
    let path = format!("/api/v1/products/{product_id}/images");
    upload_to(app, token, &path, bytes, filename).await
}

/// POSTs `bytes` as the multipart field `file` to `path`.
pub async fn upload_to(
    app: &TestApp,
    token: &str,
    path: &str,
    bytes: Vec<u8>,
    filename: &str,
) -> reqwest::Response {
    let part = reqwest::multipart::Part::bytes(bytes).file_name(filename.to_string());
    let form = reqwest::multipart::Form::new().part("file", part);
    reqwest::Client::new()
        .post(app.url(path))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
        .expect("upload")
}

async fn draft(app: &TestApp, token: &str) -> String {
    let body = json!({
        "title_ja": "島らっきょう漬け", "description_ja": "伊江島産", "category_code": "processed",
        "temperature_class": "chilled", "shelf_life_days": 60, "ingredients": "島らっきょう、塩",
        "net_content": "100g", "storage": "要冷蔵"
    });
    let r = app.post_as(token, "/api/v1/products", &body).await;
    assert_eq!(r.status(), 201);
    let v: Value = r.json().await.expect("json");
    v["id"].as_str().expect("id").to_string()
}

async fn photos_are_stripped_resized_and_served(b: Backend) {
    let app = spawn_app(b).await;
    let (_, op) = app.user_with_token(Role::Operator).await;
    let (_, _, pt) = approved_producer(&app, &op).await;
    let (_, _, other) = approved_producer(&app, &op).await;
    let id = draft(&app, &pt).await;
    let r = upload(&app, &pt, &id, jpeg_with_gps(2400, 1800), "IMG_0001.JPG").await;
    assert_eq!(r.status(), 201);
    let img: Value = r.json().await.expect("json");
    assert_eq!(
        (img["width"].clone(), img["height"].clone()),
        (json!(1600), json!(1200))
    );
    let url = img["url"].as_str().expect("url").to_string();
    // Served through the application, to the owner, with the right type and without metadata.
    let r = app.get_as(&pt, &url).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "image/jpeg");
    let bytes = r.bytes().await.expect("bytes");
    assert!(!bytes.windows(4).any(|w| w == b"Exif"));
    assert!(!bytes.windows(3).any(|w| w == b"GPS"));
    // Not listed yet: nobody else sees it.
    assert_eq!(reqwest::get(app.url(&url)).await.expect("r").status(), 404);
    assert_eq!(app.get_as(&other, &url).await.status(), 404);
    // Generated storage names, never the uploaded one.
    assert_eq!(
        app.count("SELECT COUNT(*) FROM product_image WHERE storage_key LIKE '%IMG_0001%'")
            .await,
        0
    );
    // PNG stays PNG.
    let r = upload(&app, &pt, &id, png(300, 200), "label.png").await;
    let v: Value = r.json().await.expect("json");
    assert_eq!(v["content_type"], "image/png");
    // Listed products' photos are public.
    app.post_as(
        &pt,
        &format!("/api/v1/products/{id}/skus"),
        &json!({"code": "RAKKYO-100", "price_yen": 540, "weight_g": 150}),
    )
    .await;
    app.post_as(&pt, &format!("/api/v1/products/{id}/submit"), &json!({}))
        .await;
    app.post_as(&op, &format!("/api/v1/products/{id}/approve"), &json!({}))
        .await;
    assert_eq!(reqwest::get(app.url(&url)).await.expect("r").status(), 200);
    let detail: Value = app
        .get_as(&pt, &format!("/api/v1/products/{id}"))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(detail["images"].as_array().map(Vec::len), Some(2));
    // Another producer cannot upload to or delete from it.
    assert_error(
        upload(&app, &other, &id, png(10, 10), "x.png").await,
        404,
        "not_found",
    )
    .await;
    let image_id = img["id"].as_str().expect("id");
    let r = reqwest::Client::new()
        .delete(app.url(&format!("/api/v1/product-images/{image_id}")))
        .bearer_auth(&other)
        .send()
        .await
        .expect("r");
    assert_error(r, 404, "not_found").await;
    let r = reqwest::Client::new()
        .delete(app.url(&format!("/api/v1/product-images/{image_id}")))
        .bearer_auth(&pt)
        .send()
        .await
        .expect("r");
    assert_eq!(r.status(), 204);
    assert_eq!(reqwest::get(app.url(&url)).await.expect("r").status(), 404);
}
db_test!(
    photos_are_stripped_of_metadata_resized_and_served_only_to_those_who_may_see_them,
    photos_are_stripped_resized_and_served
);

async fn bad_photos_are_refused_clearly(b: Backend) {
    let app = spawn_app_with(b, |s| {
        s.uploads.max_images_per_product = 2;
        s.uploads.max_bytes = 200_000;
        s.uploads.max_pixels = 1_000_000;
    })
    .await;
    let (_, op) = app.user_with_token(Role::Operator).await;
    let (_, _, pt) = approved_producer(&app, &op).await;
    let id = draft(&app, &pt).await;
    // Wrong type behind a right extension.
    let e = assert_error(
        upload(
            &app,
            &pt,
            &id,
            b"<html>not an image</html>".to_vec(),
            "photo.jpg",
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    assert!(
        e["error"]["details"]["fields"]["file"]
            .as_str()
            .is_some_and(|m| m.contains("JPEG, PNG or WebP")),
        "{e}"
    );
    let gif = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;".to_vec();
    assert_error(
        upload(&app, &pt, &id, gif, "photo.png").await,
        422,
        "validation_failed",
    )
    .await;
    // Too many pixels (checked before decoding).
    let e = assert_error(
        upload(&app, &pt, &id, png(2000, 1000), "big.png").await,
        422,
        "validation_failed",
    )
    .await;
    assert!(
        e["error"]["details"]["fields"]["file"]
            .as_str()
            .is_some_and(|m| m.contains("pixels")),
        "{e}"
    );
    // Too large.
    let noisy = {
        let img = DynamicImage::ImageRgb8(ImageBuffer::from_fn(900, 900, |x, y| {
            Rgb([
                ((x * 7919 + y * 104729) % 251) as u8,
                ((x * y) % 253) as u8,
                ((x ^ y) % 255) as u8,
            ])
        }));
        let mut out = Cursor::new(Vec::new());
        img.write_to(&mut out, ImageFormat::Png).expect("encode");
        out.into_inner()
    };
    assert!(noisy.len() > 200_000, "test image is {} bytes", noisy.len());
    assert_error(
        upload(&app, &pt, &id, noisy, "noise.png").await,
        413,
        "payload_too_large",
    )
    .await;
    // Not multipart, or no file field.
    let r = app
        .post_as(
            &pt,
            &format!("/api/v1/products/{id}/images"),
            &json!({"file": "x"}),
        )
        .await;
    assert_error(r, 415, "unsupported_media_type").await;
    let form = reqwest::multipart::Form::new().text("other", "x");
    let r = reqwest::Client::new()
        .post(app.url(&format!("/api/v1/products/{id}/images")))
        .bearer_auth(&pt)
        .multipart(form)
        .send()
        .await
        .expect("r");
    let e = assert_error(r, 422, "validation_failed").await;
    assert!(e["error"]["details"]["fields"]["file"].is_string());
    // Count limit.
    assert_eq!(
        upload(&app, &pt, &id, png(20, 20), "a.png").await.status(),
        201
    );
    assert_eq!(
        upload(&app, &pt, &id, png(20, 20), "b.png").await.status(),
        201
    );
    assert_error(
        upload(&app, &pt, &id, png(20, 20), "c.png").await,
        409,
        "too_many_images",
    )
    .await;
    assert_eq!(
        app.count("SELECT COUNT(*) FROM product_image").await,
        2,
        "nothing stored for refused files"
    );
}
db_test!(
    bad_photos_are_refused_with_a_clear_error,
    bad_photos_are_refused_clearly
);
