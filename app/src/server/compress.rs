//! Pages and server functions' answers compressed as they are sent.
//!
//! A page is rendered whole in a few hundred microseconds, so it is
//! collected and gzipped (level [`GZIP_LEVEL`]) in one call by an encoder
//! that each thread keeps and reuses. A streaming encoder set up for every
//! response (tower-http's, as before) costs more than the page: its window
//! and tables are hundreds of KB, which the allocator maps and unmaps (and
//! the kernel zeroes) on every response (`make bench`, see
//! docs/BENCHMARKS.md). Other answers (the audit trail's CSV, which
//! streams) are left to the outer `CompressionLayer`.
//!
//! Why gzip: on the portal's own pages (`/login` and the portal, 2 to 3 KB
//! of HTML), zstd (level 3 to 9) came out 1 to 4 % larger than gzip, and
//! brotli, smaller by 18 %, costs 50 to 110 µs a page to set up its
//! encoder, as much as rendering the page. A page is sent in no more bytes
//! than the gzip at level 4 that was sent before: the shorter of levels 6
//! and 4 goes (the tests compare, page by page).

use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::http::{header, HeaderMap, HeaderValue, Response};
use axum::middleware::Next;
use std::cell::RefCell;

/// gzip's level for pages: on pages this small, 6 costs what 4 did, with
/// fewer bytes.
pub const GZIP_LEVEL: u32 = 6;
/// Below this an answer is sent as it is: the coding's own header and
/// checksum would outweigh the saving.
pub(crate) const SMALLEST: usize = 1024;
/// A page larger than this is sent as it is, streamed.
const LARGEST: usize = 4 << 20;

/// Middleware: an HTML page or a JSON answer, whole, gzipped when the
/// browser takes gzip.
pub async fn compress_pages(req: Request, next: Next) -> Response<Body> {
    let gzip = crate::server::assets::accepts_encoding(req.headers(), "gzip");
    let res = next.run(req).await;
    if !gzip || !compressible(res.headers()) {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    let whole = match collect(body).await {
        Ok(whole) => whole,
        // Larger than a page may be: what was read, then the rest, as it is.
        Err(Collected::TooLarge(body)) => return Response::from_parts(parts, body),
        Err(Collected::Failed(err)) => return failed(parts, err),
    };
    let mut vary = || {
        parts
            .headers
            .append(header::VARY, HeaderValue::from_static("accept-encoding"))
    };
    if whole.len() < SMALLEST {
        vary();
        return Response::from_parts(parts, Body::from(whole));
    }
    match gzip_encode(&whole) {
        Ok(encoded) => {
            vary();
            let h = &mut parts.headers;
            h.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
            h.insert(header::CONTENT_LENGTH, encoded.len().into());
            Response::from_parts(parts, Body::from(encoded))
        }
        Err(err) => {
            tracing::error!(error = %err, "could not compress a page; sent as it is");
            Response::from_parts(parts, Body::from(whole))
        }
    }
}

/// The answers taken whole here; the streaming layer leaves them alone.
const WHOLE: [&str; 2] = ["text/html", "application/json"];

/// HTML and JSON not compressed already.
fn compressible(headers: &HeaderMap) -> bool {
    let kind = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    WHOLE.iter().any(|whole| kind.starts_with(whole))
        && !headers.contains_key(header::CONTENT_ENCODING)
}

/// The layer for what [`compress_pages`] does not take (the audit trail's
/// CSV, which streams): gzip as it streams, at the same level.
pub fn streamed(
) -> tower_http::compression::CompressionLayer<impl tower_http::compression::Predicate> {
    use tower_http::compression::predicate::{DefaultPredicate, NotForContentType, Predicate};
    use tower_http::compression::{CompressionLayer, CompressionLevel};
    CompressionLayer::new()
        .br(false)
        .quality(CompressionLevel::Precise(GZIP_LEVEL as i32))
        .compress_when(
            DefaultPredicate::new()
                .and(NotForContentType::const_new(WHOLE[0]))
                .and(NotForContentType::const_new(WHOLE[1])),
        )
}

pub(crate) enum Collected {
    TooLarge(Body),
    Failed(axum::Error),
}

/// The answer whose page's stream failed while collected: sent as far as
/// it went, as any streamed answer whose producer fails.
pub(crate) fn failed(parts: axum::http::response::Parts, err: axum::Error) -> Response<Body> {
    tracing::error!(error = %err, "a page's body failed while collected");
    Response::from_parts(parts, Body::new(FailedBody(Some(err))))
}

/// The body, whole, up to [`LARGEST`].
pub(crate) async fn collect(body: Body) -> Result<Bytes, Collected> {
    use futures_util::StreamExt;
    let mut stream = body.into_data_stream();
    let mut whole = Vec::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(Collected::Failed)?;
        whole.extend_from_slice(&chunk);
        if whole.len() > LARGEST {
            let head = futures_util::stream::once(async move { Ok(Bytes::from(whole)) });
            return Err(Collected::TooLarge(Body::from_stream(head.chain(stream))));
        }
    }
    Ok(Bytes::from(whole))
}

/// A body that fails at once with the error its producer failed with.
struct FailedBody(Option<axum::Error>);

impl http_body::Body for FailedBody {
    type Data = Bytes;
    type Error = axum::Error;
    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<Bytes>, axum::Error>>> {
        std::task::Poll::Ready(self.0.take().map(Err))
    }
}

/// The level sent before (tower-http's streaming gzip). zlib-rs at
/// [`GZIP_LEVEL`] is smaller on almost every page, but not on every one:
/// on a 2 KB page it once came out a byte longer.
pub const GZIP_LEVEL_BEFORE: u32 = 4;

/// The levels each page is tried at; the shorter result goes.
const LEVELS: [u32; 2] = [GZIP_LEVEL, GZIP_LEVEL_BEFORE];

thread_local! {
    /// This thread's encoders, one for each of [`LEVELS`], in its order.
    static DEFLATE: RefCell<[Option<flate2::Compress>; 2]> = const { RefCell::new([None, None]) };
}

/// gzip (RFC 1952): a 10-byte header, raw deflate, CRC-32 and length, by
/// this thread's encoders: at [`GZIP_LEVEL`], or at [`GZIP_LEVEL_BEFORE`]
/// where that is shorter, so that no page is sent in more bytes than
/// before. The second run costs what one did (a 2 KB page gzipped in
/// about 23 µs, docs/BENCHMARKS.md); held pages (`server::page_cache`)
/// pay it once a second.
pub fn gzip_encode(input: &[u8]) -> std::io::Result<Vec<u8>> {
    const HEADER: [u8; 10] = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];
    let [now, before] = [0, 1].map(|slot| deflate(slot, input));
    let mut body = match (now?, before?) {
        (now, before) if before.len() < now.len() => before,
        (now, _) => now,
    };
    let mut out = Vec::with_capacity(HEADER.len() + body.len() + 8);
    out.extend_from_slice(&HEADER);
    out.append(&mut body);
    let mut crc = crc32fast::Hasher::new();
    crc.update(input);
    out.extend_from_slice(&crc.finalize().to_le_bytes());
    out.extend_from_slice(&(input.len() as u32).to_le_bytes());
    Ok(out)
}

/// Raw deflate of `input` at `LEVELS[slot]`, by this thread's encoder for
/// that level.
fn deflate(slot: usize, input: &[u8]) -> std::io::Result<Vec<u8>> {
    use flate2::{Compression, FlushCompress, Status};
    DEFLATE.with_borrow_mut(|encoders| {
        let deflate = encoders[slot]
            .get_or_insert_with(|| flate2::Compress::new(Compression::new(LEVELS[slot]), false));
        deflate.reset();
        let mut out = Vec::with_capacity(input.len() / 2 + 64);
        loop {
            let read = deflate.total_in() as usize;
            out.reserve(input.len() / 4 + 64);
            match deflate.compress_vec(&input[read..], &mut out, FlushCompress::Finish) {
                Ok(Status::StreamEnd) => break,
                Ok(Status::Ok | Status::BufError) => continue,
                Err(err) => return Err(std::io::Error::other(err)),
            }
        }
        Ok(out)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn page() -> Vec<u8> {
        let row = "<li><a href=\"/menu\">車両検索</a><span class=\"note\">在庫・見積</span></li>\n";
        format!(
            "<!DOCTYPE html><html lang=\"ja\"><body><ul>{}</ul></body></html>",
            row.repeat(200)
        )
        .into_bytes()
    }

    #[test]
    fn one_thread_s_encoder_gives_whole_gzip_streams_again_and_again() {
        for (round, input) in [page(), b"short".repeat(300), page(), Vec::new()]
            .into_iter()
            .enumerate()
        {
            let gz = gzip_encode(&input).unwrap();
            let mut back = Vec::new();
            flate2::read::GzDecoder::new(&gz[..])
                .read_to_end(&mut back)
                .unwrap();
            assert_eq!(back, input, "round {round}");
        }
        assert!(gzip_encode(&page()).unwrap().len() < page().len() / 10);
    }

    /// A page of `bytes` bytes through the middleware, as a browser asks.
    async fn through_middleware(bytes: usize) -> axum::response::Response {
        use tower::ServiceExt;
        let page = "<p>車両検索</p>".repeat(bytes / 19 + 1);
        let router = axum::Router::new()
            .route(
                "/",
                axum::routing::get(move || async move { axum::response::Html(page) }),
            )
            .layer(axum::middleware::from_fn(compress_pages));
        let req = axum::http::Request::get("/")
            .header(header::ACCEPT_ENCODING, "gzip, deflate, br, zstd")
            .body(Body::empty())
            .unwrap();
        router.oneshot(req).await.unwrap()
    }

    #[tokio::test]
    async fn a_page_over_the_bound_is_sent_whole_as_it_is_and_a_page_under_it_gzipped() {
        let body = |res: axum::response::Response| async move {
            axum::body::to_bytes(res.into_body(), usize::MAX)
                .await
                .unwrap()
        };
        let large = through_middleware(LARGEST + 1000).await;
        assert!(large.headers().get(header::CONTENT_ENCODING).is_none());
        let sent = body(large).await;
        assert!(sent.len() > LARGEST && sent.ends_with("<p>車両検索</p>".as_bytes()));

        let small = through_middleware(20_000).await;
        assert_eq!(small.headers()[header::CONTENT_ENCODING], "gzip");
        let sent = body(small).await;
        let mut back = Vec::new();
        flate2::read::GzDecoder::new(&sent[..])
            .read_to_end(&mut back)
            .unwrap();
        assert!(back.len() >= 20_000);
    }
}
