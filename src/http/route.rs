//! The route table's entry type: each area lists what it serves as [`RouteSpec`]s and the
//! composition root mounts them (a test checks them against the OpenAPI document).
use actix_web::{Route, http::Method};

/// One entry of the route table.
pub struct RouteSpec {
    pub method: Method,
    pub path: &'static str,
    pub route: fn() -> Route,
}

/// Builds a [`RouteSpec`]: `route!(GET, "/api/v1/things", handlers::list_things)`.
#[macro_export]
macro_rules! route {
    ($method:ident, $path:literal, $handler:path) => {
        $crate::http::route::RouteSpec {
            method: actix_web::http::Method::$method,
            path: $path,
            route: || actix_web::web::method(actix_web::http::Method::$method).to($handler),
        }
    };
}
