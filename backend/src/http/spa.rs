//! Serves the built web app: files of `CORTILE_WEB_DIR`, and `index.html` for any other path so
//! that the app's router handles deep links after a reload.

use std::path::{Component, Path, PathBuf};

use actix_files::NamedFile;
use actix_web::http::header;
use actix_web::HttpResponse;

const NOT_BUILT: &str = r#"<!doctype html>
<html lang="it"><head><meta charset="utf-8"><title>Cortile</title></head>
<body><main><h1>Cortile</h1>
<p>L'applicazione web non è stata compilata. Esegui <code>cargo xtask dist</code>, oppure imposta CORTILE_WEB_DIR.</p>
<p lang="en">The web app has not been built. Run <code>cargo xtask dist</code>, or set CORTILE_WEB_DIR.</p>
</main></body></html>"#;

pub fn check_web_dir(dir: &Path) {
    if !dir.join("index.html").is_file() {
        tracing::warn!(
            web_dir = %dir.display(),
            "CORTILE_WEB_DIR has no index.html: the web app is not built (run `cargo xtask dist`)"
        );
    }
}

/// Maps a URL path to a file under `root`, refusing anything that could escape it.
fn resolve(root: &Path, url_path: &str) -> Option<PathBuf> {
    let decoded = percent_encoding::percent_decode_str(url_path)
        .decode_utf8()
        .ok()?;
    let mut path = root.to_path_buf();
    for component in Path::new(decoded.trim_start_matches('/')).components() {
        match component {
            Component::Normal(part) => {
                let s = part.to_str()?;
                if s.starts_with('.') {
                    return None;
                }
                path.push(part);
            }
            Component::CurDir => {}
            _ => return None,
        }
    }
    path.is_file().then_some(path)
}

/// The app's default service.
pub fn service(root: PathBuf) -> actix_web::Route {
    actix_web::web::to(move |req: actix_web::HttpRequest| {
        let root = root.clone();
        async move { serve(&root, &req).await }
    })
}

async fn serve(root: &Path, req: &actix_web::HttpRequest) -> HttpResponse {
    if req.method() != actix_web::http::Method::GET && req.method() != actix_web::http::Method::HEAD
    {
        return HttpResponse::MethodNotAllowed()
            .insert_header((header::ALLOW, "GET, HEAD"))
            .finish();
    }
    let path = req.path();
    if let Some(file) = resolve(root, path) {
        if let Ok(named) = NamedFile::open_async(&file).await {
            let is_html = file.extension().is_some_and(|e| e == "html");
            let mut res = named.use_etag(true).into_response(req);
            if is_html {
                res.headers_mut().insert(
                    header::CACHE_CONTROL,
                    header::HeaderValue::from_static("no-cache"),
                );
            }
            return res;
        }
    }
    // A missing asset (it has an extension) is a plain 404; anything else is an app route.
    let last = path.rsplit('/').next().unwrap_or("");
    if last.contains('.') {
        return HttpResponse::NotFound()
            .content_type("text/plain; charset=utf-8")
            .body("not found");
    }
    let index = root.join("index.html");
    match NamedFile::open_async(&index).await {
        Ok(named) => {
            let mut res = named.use_etag(true).into_response(req);
            res.headers_mut().insert(
                header::CACHE_CONTROL,
                header::HeaderValue::from_static("no-cache"),
            );
            res
        }
        Err(_) => HttpResponse::Ok()
            .content_type("text/html; charset=utf-8")
            .body(NOT_BUILT),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_to_leave_the_web_dir() {
        let dir = std::env::temp_dir().join(format!("cortile-spa-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("vendor")).expect("mkdir");
        std::fs::write(dir.join("vendor/a.css"), "x").expect("write");
        std::fs::write(dir.join(".secret"), "x").expect("write");
        assert_eq!(
            resolve(&dir, "/vendor/a.css"),
            Some(dir.join("vendor/a.css"))
        );
        assert_eq!(
            resolve(&dir, "/vendor/%61.css"),
            Some(dir.join("vendor/a.css"))
        );
        assert_eq!(resolve(&dir, "/../etc/passwd"), None);
        assert_eq!(resolve(&dir, "/vendor/%2e%2e/%2e%2e/etc/passwd"), None);
        assert_eq!(resolve(&dir, "/.secret"), None);
        assert_eq!(resolve(&dir, "/vendor"), None);
        std::fs::remove_dir_all(&dir).expect("cleanup");
    }
}
