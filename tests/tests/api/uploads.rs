//! Images: uploads checked by content and cleaned of metadata, attached to posts with alt
//! texts, seen only by who may read the post; on both databases.

use cortile::db::schema::{post_images, uploads};
use cortile_shared::community::{CommunityKind, CommunitySummary, Post, PostThread};
use cortile_shared::upload::{Upload, MAX_UPLOAD_BYTES};
use cortile_shared::{ErrorCode, Page};
use cortile_tests::images::{contains, jpeg, jpeg_with_exif, png, EXIF_SECRET};
use cortile_tests::{expect_problem, json_of, people_test, Session, TestApp};
use diesel::prelude::*;
use reqwest::Method;
use serde_json::json;

use crate::support::{estate_community, neighbour};

async fn upload(s: &Session, bytes: Vec<u8>) -> Upload {
    json_of(s.upload("image/jpeg", bytes).await, 201, "upload").await
}

fn count_uploads(app: &TestApp) -> i64 {
    uploads::table
        .count()
        .get_result(&mut app.connect())
        .expect("count")
}

async fn building_community(s: &Session) -> CommunitySummary {
    let mine: Vec<CommunitySummary> = s.get_json("/api/v1/communities").await;
    mine.into_iter()
        .find(|c| c.kind == CommunityKind::Building)
        .expect("the building's community")
}

people_test!(
    async fn a_photo_is_turned_upright_and_loses_its_exif_and_gps(app) {
        let me = app.login("inquilino").await;
        // As a phone stores it: 40 × 20 pixels, "turn 90° clockwise to view", a GPS position.
        let original = jpeg_with_exif(40, 20, 6);
        assert!(contains(&original, b"Exif") && contains(&original, EXIF_SECRET.as_bytes()));
        let up = upload(&me, original).await;
        assert_eq!((up.width, up.height, up.mime.as_str()), (20, 40, "image/jpeg"));
        assert_eq!(up.url, format!("/api/v1/uploads/{}", up.id));
        assert_eq!(up.id.0.len(), 36, "a UUID, not a number: {}", up.id);

        let res = me.get(&up.url).await;
        assert_eq!(res.status(), 200);
        let header = |name: &str| {
            res.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned()
        };
        assert_eq!(header("content-type"), "image/jpeg");
        assert_eq!(header("x-content-type-options"), "nosniff");
        assert!(header("cache-control").starts_with("private"), "{}", header("cache-control"));
        let etag = header("etag");
        assert_eq!(etag.len(), 66, "a quoted SHA-256: {etag}");
        let served = res.bytes().await.expect("bytes").to_vec();
        assert_eq!(served.len() as i64, up.bytes);
        for needle in [b"Exif".as_slice(), EXIF_SECRET.as_bytes(), b"GPS"] {
            assert!(!contains(&served, needle), "{:?} survived", String::from_utf8_lossy(needle));
        }
        let decoded = image::load_from_memory(&served).expect("decodes");
        assert_eq!((decoded.width(), decoded.height()), (20, 40), "upright");
        // Unchanged since: 304 without a body.
        let res = me
            .client
            .get(me.url(&up.url))
            .header("if-none-match", &etag)
            .send()
            .await
            .expect("conditional get");
        assert_eq!(res.status(), 304);

        // Not attached yet: nobody else sees it.
        let other = app.login("staff").await;
        let p = expect_problem(other.get(&up.url).await, 404).await;
        assert_eq!(p.code, ErrorCode::NotFound);
        expect_problem(app.anonymous().get(&up.url).await, 401).await;
        expect_problem(me.get("/api/v1/uploads/00000000-0000-4000-8000-000000000000").await, 404).await;

        // PNG stays PNG, shrunk to 2048 pixels; WebP becomes JPEG.
        let wide: Upload = json_of(me.upload("image/png", png(2500, 100)).await, 201, "png").await;
        assert_eq!((wide.mime.as_str(), wide.width, wide.height), ("image/png", 2048, 82));
        let mut webp = Vec::new();
        image::DynamicImage::ImageRgb8(image::RgbImage::from_pixel(30, 10, image::Rgb([9, 9, 9])))
            .write_to(&mut std::io::Cursor::new(&mut webp), image::ImageFormat::WebP)
            .expect("webp");
        let w: Upload = json_of(me.upload("application/octet-stream", webp).await, 201, "webp").await;
        assert_eq!((w.mime.as_str(), w.width, w.height), ("image/jpeg", 30, 10));

        // Erasing the account deletes the images it never attached.
        let res = me
            .send(
                Method::DELETE,
                "/api/v1/me",
                Some(json!({"confirm": cortile_shared::auth::ERASE_CONFIRMATION})),
            )
            .await;
        assert_eq!(res.status(), 204);
        let left: Vec<Vec<u8>> = uploads::table
            .filter(uploads::owner_id.eq(me.me.id.0))
            .select(uploads::data)
            .load(&mut app.connect())
            .expect("uploads");
        assert_eq!(left.len(), 3);
        assert!(left.iter().all(Vec::is_empty), "their bytes are gone");
    }
);

people_test!(
    async fn what_is_not_an_image_is_refused_and_nothing_is_stored(app) {
        let me = app.login("inquilino").await;
        // A text file called photo.jpg, sent as image/jpeg.
        let p = expect_problem(me.upload("image/jpeg", b"not a photo at all\n".to_vec()).await, 415).await;
        assert_eq!(p.code, ErrorCode::UploadUnsupportedType);
        // A GIF is an image, but not one we take.
        let p = expect_problem(me.upload("image/jpeg", b"GIF89a\x01\x00\x01\x00".to_vec()).await, 415).await;
        assert_eq!(p.code, ErrorCode::UploadUnsupportedType);
        // The signature of a JPEG and then nonsense.
        let mut broken = jpeg(30, 30);
        broken.truncate(40);
        let p = expect_problem(me.upload("image/jpeg", broken).await, 422).await;
        assert_eq!(p.code, ErrorCode::UploadUnreadable);
        // Over 10 MiB.
        let mut big = jpeg(8, 8);
        big.resize(MAX_UPLOAD_BYTES + 1, 0);
        let p = expect_problem(me.upload("image/jpeg", big).await, 413).await;
        assert_eq!(p.code, ErrorCode::UploadTooLarge);
        // Not signed in.
        let p = expect_problem(app.anonymous().upload("image/jpeg", jpeg(8, 8)).await, 401).await;
        assert_eq!(p.code, ErrorCode::Unauthenticated);
        assert_eq!(count_uploads(app), 0, "nothing stored");
    }
);

people_test!(
    async fn a_post_takes_up_to_six_images_each_with_its_alt_text(app) {
        let me = app.login("inquilino").await;
        let estate = estate_community(&me).await;
        let mut mine = Vec::new();
        for i in 0..7 {
            mine.push(upload(&me, jpeg(16 + i, 12)).await);
        }
        let posts = format!("/api/v1/communities/{}/posts", estate.id);
        let refs = |n: usize| -> Vec<serde_json::Value> {
            mine.iter()
                .take(n)
                .enumerate()
                .map(|(i, u)| json!({"upload": u.id, "alt": format!("Foto {i} del cortile")}))
                .collect()
        };
        // Seven: too many.
        let p = expect_problem(
            me.post(&posts, json!({"title": "Il cortile", "body": "Foto", "images": refs(7)})).await,
            422,
        )
        .await;
        assert_eq!(p.errors.iter().map(|e| e.field.as_str()).collect::<Vec<_>>(), ["images"]);
        // An image without its description, reported with the title's error.
        let mut missing = refs(2);
        missing[1]["alt"] = json!("   ");
        let p = expect_problem(
            me.post(&posts, json!({"title": "", "body": "Foto", "images": missing})).await,
            422,
        )
        .await;
        let fields: Vec<(&str, &str)> =
            p.errors.iter().map(|e| (e.field.as_str(), e.code.as_str())).collect();
        assert_eq!(fields, [("title", "required"), ("images[1].alt", "required")]);
        // Someone else's upload.
        let committee = app.login("comitato").await;
        let theirs = upload(&committee, jpeg(10, 10)).await;
        let mut stolen = refs(1);
        stolen.push(json!({"upload": theirs.id, "alt": "Non mia"}));
        let p = expect_problem(
            me.post(&posts, json!({"title": "Il cortile", "body": "Foto", "images": stolen})).await,
            422,
        )
        .await;
        assert_eq!(
            p.errors.iter().map(|e| (e.field.as_str(), e.code.as_str())).collect::<Vec<_>>(),
            [("images[1].upload", "not_available")]
        );
        let unattached: i64 = post_images::table.count().get_result(&mut app.connect()).expect("count");
        assert_eq!(unattached, 0, "a refused post attaches nothing");
        let page: Page<Post> = me.get_json(&posts).await;
        assert!(page.items.is_empty(), "and writes no post");

        // Three images, in order.
        let post: Post = json_of(
            me.post(&posts, json!({"title": "Il cortile", "body": "Foto", "images": refs(3)})).await,
            201,
            "post",
        )
        .await;
        let alts: Vec<&str> = post.images.iter().map(|i| i.alt.as_str()).collect();
        assert_eq!(alts, ["Foto 0 del cortile", "Foto 1 del cortile", "Foto 2 del cortile"]);
        assert_eq!((post.images[1].width, post.images[1].height), (17, 12));
        assert_eq!(post.images[0].url, mine[0].url);
        // Attached: another post cannot take it.
        let p = expect_problem(
            me.post(&posts, json!({"title": "Ancora", "body": "Foto", "images": [{"upload": mine[0].id, "alt": "x"}]})).await,
            422,
        )
        .await;
        assert_eq!(p.errors[0].field, "images[0].upload");
        // The estate's neighbours see the images in lists, the feed and the post.
        let neighbour = neighbour(app, "vicina", false).await;
        let feed: Page<Post> = neighbour.get_json("/api/v1/feed").await;
        let seen = feed.items.iter().find(|p| p.id == post.id).expect("in the feed");
        assert_eq!(seen.images, post.images);
        let thread: PostThread = neighbour.get_json(&format!("/api/v1/posts/{}", post.id)).await;
        assert_eq!(thread.post.images.len(), 3);
        assert_eq!(neighbour.get(&post.images[2].url).await.status(), 200);
        // Unattached uploads cannot be deleted by others; attached ones not even by their owner.
        expect_problem(neighbour.delete(&mine[5].url).await, 404).await;
        let p = expect_problem(me.delete(&mine[0].url).await, 409).await;
        assert_eq!(p.code, ErrorCode::Conflict);
        assert_eq!(me.delete(&mine[6].url).await.status(), 204);
        expect_problem(me.get(&mine[6].url).await, 404).await;

        // The author reorders, drops one, adds one and describes one anew.
        let edit = json!({"title": "Il cortile", "body": "Foto nuove", "images": [
            {"upload": mine[2].id, "alt": "Foto 2 del cortile"},
            {"upload": mine[3].id, "alt": "Foto 3"},
            {"upload": mine[0].id, "alt": "Il cortile al tramonto"},
        ]});
        let edited: Post = json_of(
            me.send(Method::PUT, &format!("/api/v1/posts/{}", post.id), Some(edit)).await,
            200,
            "edit",
        )
        .await;
        let order: Vec<&str> = edited.images.iter().map(|i| i.upload.0.as_str()).collect();
        assert_eq!(order, [mine[2].id.0.as_str(), mine[3].id.0.as_str(), mine[0].id.0.as_str()]);
        assert_eq!(edited.images[2].alt, "Il cortile al tramonto");
        // The dropped image is gone, for its owner too.
        expect_problem(me.get(&mine[1].url).await, 404).await;
        expect_problem(neighbour.get(&mine[1].url).await, 404).await;
        assert_eq!(neighbour.get(&mine[3].url).await.status(), 200);
        // An edit that does not mention images keeps them.
        let kept: Post = json_of(
            me.send(Method::PUT, &format!("/api/v1/posts/{}", post.id), Some(json!({"title": "Il cortile", "body": "Solo testo"}))).await,
            200,
            "edit",
        )
        .await;
        assert_eq!(kept.images, edited.images);
        // Bad edits change nothing.
        let p = expect_problem(
            me.send(
                Method::PUT,
                &format!("/api/v1/posts/{}", post.id),
                Some(json!({"title": "Il cortile", "body": "x", "images": [
                    {"upload": mine[2].id, "alt": "a"}, {"upload": mine[2].id, "alt": "b"}]})),
            )
            .await,
            422,
        )
        .await;
        assert_eq!((p.errors[0].field.as_str(), p.errors[0].code.as_str()), ("images[1].upload", "duplicate"));
        let thread: PostThread = me.get_json(&format!("/api/v1/posts/{}", post.id)).await;
        assert_eq!(thread.post.images, edited.images);
        assert!(thread.post.body_html.contains("Solo testo"));
        // Removing them all.
        let bare: Post = json_of(
            me.send(Method::PUT, &format!("/api/v1/posts/{}", post.id), Some(json!({"title": "Il cortile", "body": "Niente foto", "images": []}))).await,
            200,
            "edit",
        )
        .await;
        assert!(bare.images.is_empty());
        expect_problem(neighbour.get(&mine[0].url).await, 404).await;
    }
);

people_test!(
    async fn an_image_is_seen_only_by_who_may_read_its_post(app) {
        let me = app.login("inquilino").await;
        let building = building_community(&me).await;
        let up = upload(&me, jpeg_with_exif(24, 12, 1)).await;
        let post: Post = json_of(
            me.post(
                &format!("/api/v1/communities/{}/posts", building.id),
                json!({"title": "Scala B", "body": "La perdita", "images": [{"upload": up.id, "alt": "Macchia sul soffitto"}]}),
            )
            .await,
            201,
            "post",
        )
        .await;
        let same = neighbour(app, "stessa", true).await;
        let elsewhere = neighbour(app, "altrove", false).await;
        assert_eq!(same.get(&post.images[0].url).await.status(), 200);
        // Another building of the estate: the post does not exist for them, nor does its image.
        expect_problem(elsewhere.get(&format!("/api/v1/posts/{}", post.id)).await, 404).await;
        let p = expect_problem(elsewhere.get(&post.images[0].url).await, 404).await;
        assert_eq!(p.code, ErrorCode::NotFound);
        // A moderator removes the post: the image goes with it.
        let staff = app.login("staff").await;
        assert_eq!(staff.get(&post.images[0].url).await.status(), 200);
        let res = staff
            .post(
                &format!("/api/v1/posts/{}/moderation", post.id),
                json!({"action": "remove", "reason": "Dati personali visibili nella foto"}),
            )
            .await;
        assert_eq!(res.status(), 204);
        expect_problem(same.get(&post.images[0].url).await, 404).await;
    }
);
