"""Korean error messages, for translators: pure data, read by `app/core/i18n.py`.

- `CODES`: the default message of each error code (the `code` of the envelope).
- `MESSAGES`: whole messages the service raises, English template → Korean. `{name}` is a value the
  message carries (a size, a limit, a page, a name) and must appear in the Korean sentence too;
  `{name:d}` matches digits only. Literal braces that are not a `{word}` (`{name: description}`) are text.
- `FRAGMENTS`: pieces that stand inside other messages (`5 pages`, `a GIF image`, the reasons of
  `pages`, `fields`, `/structure` errors); a value of a message is translated when it is one of these.
- `VALIDATION`: request validation problems (422) by pydantic error type; `{…}` are its context values.

Style: polite 합니다/하세요 endings; setting names, header names, parameter names and values stay as
they are. Avoid particles after a value whose last sound is unknown (`{name}이(가)`): put a noun
after it (`{name} 필드가`) or use particles that do not change (`에`, `의`, `와/과` avoided).
"""

from __future__ import annotations

OK_TYPES = "PNG, JPEG, TIFF, BMP, WebP, PDF"

CODES: dict[str, str] = {
    "bad_request": "요청 형식이 올바르지 않습니다.",
    "missing_file": "'file' 폼 필드가 필요합니다.",
    "empty_file": "업로드한 파일이 비어 있습니다.",
    "corrupt_document": "문서를 읽을 수 없습니다. 파일이 손상되었거나 잘렸을 수 있습니다.",
    "encrypted_document": "PDF가 암호화되어 있거나 비밀번호로 보호되어 있습니다.",
    "unauthenticated": "인증 정보가 없거나 올바르지 않습니다.",
    "invalid_token": "Bearer 토큰이 올바르지 않습니다.",
    "token_expired": "Bearer 토큰이 만료되었습니다.",
    "forbidden": "인증은 되었지만 이 요청을 할 권한이 없습니다.",
    "not_found": "찾을 수 없습니다.",
    "method_not_allowed": "허용되지 않는 메서드입니다.",
    "request_timeout": "요청 본문이 제시간에 도착하지 않았습니다.",
    "file_too_large": "파일이 설정된 크기 한도보다 큽니다.",
    "too_many_pixels": "이미지의 픽셀 수가 설정된 한도보다 많습니다.",
    "too_many_pages": "문서의 페이지 수가 설정된 한도보다 많습니다.",
    "too_many_files": "한 번에 보낸 파일이 너무 많습니다.",
    "storage_quota_exceeded": "이 API 키로 보관 중인 작업이 저장 용량 한도를 모두 사용했습니다.",
    "unsupported_media_type": "지원하지 않는 문서 형식입니다.",
    "invalid_parameter": "매개변수가 올바르지 않습니다.",
    "unsupported_language": "지원하지 않는 언어입니다.",
    "unknown_profile": "알 수 없는 엔진 프로필입니다. GET /models에서 프로필 목록을 확인하세요.",
    "language_not_enabled": "알려진 언어이지만 이 배포에서는 사용하도록 설정되어 있지 않습니다(OCR_LANGUAGES).",
    "queue_full": "서비스가 혼잡합니다. 잠시 후 다시 시도하세요.",
    "client_closed_request": "응답이 준비되기 전에 클라이언트가 연결을 닫았습니다.",
    "internal": "서버 내부 오류가 발생했습니다.",
    "auth_unavailable": "ID 공급자의 서명 키를 가져올 수 없습니다.",
    "not_ready": "서비스가 아직 준비되지 않았습니다(모델을 불러오는 중이거나 종료하는 중입니다).",
    "too_many_connections": "서비스에 열린 연결이 너무 많습니다(MAX_CONNECTIONS). 잠시 후 다시 시도하세요.",
    "model_server_unavailable": "모델 서버에 연결할 수 없습니다.",
    "profile_over_memory_budget": "이 엔진 프로필을 불러오면 메모리 한도(OCR_PROFILES_MEMORY_MB 또는 OCR_MEMORY_CEILING_MB)를 넘습니다.",
    "timeout": "요청 처리 시간이 설정된 제한 시간을 넘었습니다.",
    "model_server_timeout": "모델 서버가 제시간에 응답하지 않았습니다.",
}

_CORRUPT = "파일이 손상되었거나 잘렸을 수 있습니다."

MESSAGES: dict[str, str] = {
    # a job's own errors (GET /jobs/{id} `error`, app/features/jobs/store.py)
    "The job was cancelled.": "작업이 취소되었습니다.",
    "The job was interrupted {attempts:d} times (the worker running it stopped); it is not retried again.": (
        "작업이 {attempts}회 중단되어(작업을 실행하던 워커가 멈춤) 더 이상 다시 시도하지 않습니다."
    ),
    # ---- routing (404 / 405) and request bodies ------------------------------------------------------
    "Not Found": "요청한 경로를 찾을 수 없습니다.",
    "Method Not Allowed": "이 경로에서는 허용되지 않는 HTTP 메서드입니다.",
    "The request head did not arrive in time.": "요청 헤더가 제시간에 도착하지 않았습니다.",
    "The request body stalled: more than {limit} s in all ({received} MB received).": (
        "요청 본문 전송이 멈췄습니다: 전체 {limit}초를 넘었습니다({received}MB 받음)."
    ),
    "The request body stalled: more than {limit} s between reads ({received} MB received).": (
        "요청 본문 전송이 멈췄습니다: {limit}초 넘게 데이터가 오지 않았습니다({received}MB 받음)."
    ),
    "The request body is {size} MB; the limit for this endpoint is {limit} MB (MAX_UPLOAD_MB per file).": (
        "요청 본문이 {size}MB입니다. 이 엔드포인트의 한도는 {limit}MB입니다(파일당 MAX_UPLOAD_MB)."
    ),
    "The request body is at least {size} MB; the limit for this endpoint is {limit} MB (MAX_UPLOAD_MB per file).": (
        "요청 본문이 {size}MB 이상입니다. 이 엔드포인트의 한도는 {limit}MB입니다(파일당 MAX_UPLOAD_MB)."
    ),
    "The request body is {size} MB; the limit is {limit} MB per file.": (
        "요청 본문이 {size}MB입니다. 한도는 파일당 {limit}MB입니다."
    ),
    "The file is larger than the {limit} MB limit (MAX_UPLOAD_MB).": (
        "파일이 {limit}MB 한도(MAX_UPLOAD_MB)보다 큽니다."
    ),
    "The file is larger than the {limit} MB limit for jobs (JOBS_MAX_UPLOAD_MB).": (
        "파일이 작업(job)의 {limit}MB 한도(JOBS_MAX_UPLOAD_MB)보다 큽니다."
    ),
    "The file {name} is larger than the {limit} MB limit for jobs (JOBS_MAX_UPLOAD_MB).": (
        "파일 {name}의 크기가 작업(job)의 {limit}MB 한도(JOBS_MAX_UPLOAD_MB)보다 큽니다."
    ),
    "The request took longer than {timeout} s (REQUEST_TIMEOUT_S).": (
        "요청 처리 시간이 {timeout}초(REQUEST_TIMEOUT_S)를 넘었습니다."
    ),
    # ---- languages ---------------------------------------------------------------------------------
    "Unsupported language {value}: use a PaddleOCR `lang` code such as {codes}.{hint} "
    "GET /languages lists every code and which ones this deployment serves.": (
        "지원하지 않는 언어 {value}입니다. {codes} 같은 PaddleOCR `lang` 코드를 사용하세요.{hint} "
        "GET /languages에서 모든 코드와 이 배포가 제공하는 언어를 확인할 수 있습니다."
    ),
    "{name} ({code}) is read with Tesseract's `{data}` data: add {code} to {setting} and run {script} "
    "(it installs {package}).": (
        "{name}({code}) 언어는 Tesseract의 `{data}` 데이터로 읽습니다. {setting}에 {code} 항목을 추가하고 "
        "{script} 스크립트를 실행하세요({package} 패키지를 설치합니다)."
    ),
    # ---- API keys and Cognito tokens ---------------------------------------------------------------
    "The x-api-key header is empty.": "x-api-key 헤더가 비어 있습니다.",
    "This service expects an API key in the x-api-key header; the Authorization header is not used "
    "(AUTH_MODE=api-key).": (
        "이 서비스는 x-api-key 헤더로 API 키를 받습니다. Authorization 헤더는 사용하지 않습니다(AUTH_MODE=api-key)."
    ),
    "Missing x-api-key header.": "x-api-key 헤더가 없습니다.",
    "The API key is not valid.": "API 키가 유효하지 않습니다.",
    "Missing or wrong x-api-key (MODEL_SERVER_API_KEY).": "x-api-key가 없거나 올바르지 않습니다(MODEL_SERVER_API_KEY).",
    "This service expects a Cognito token in 'Authorization: Bearer <token>'; x-api-key is not accepted "
    "(AUTH_MODE=cognito).": (
        "이 서비스는 'Authorization: Bearer <token>' 헤더로 Cognito 토큰을 받습니다. "
        "x-api-key는 받지 않습니다(AUTH_MODE=cognito)."
    ),
    "Missing 'Authorization: Bearer <token>' header.": "'Authorization: Bearer <token>' 헤더가 없습니다.",
    "The Authorization header must use the Bearer scheme: 'Authorization: Bearer <token>'.": (
        "Authorization 헤더는 Bearer 방식을 사용해야 합니다: 'Authorization: Bearer <token>'."
    ),
    "The Authorization header has the Bearer scheme but no token.": (
        "Authorization 헤더에 Bearer 방식만 있고 토큰이 없습니다."
    ),
    "unknown AUTH_MODE {mode}": "알 수 없는 AUTH_MODE 값입니다: {mode}",
    "Cognito authentication is not initialised (no JWKS cache).": (
        "Cognito 인증이 초기화되지 않았습니다(JWKS 캐시가 없습니다)."
    ),
    "COGNITO_ISSUER / COGNITO_JWKS_URL is not set.": "COGNITO_ISSUER / COGNITO_JWKS_URL 설정이 없습니다.",
    "The Cognito signing keys (JWKS) could not be fetched; retry later.": (
        "Cognito 서명 키(JWKS)를 가져올 수 없습니다. 잠시 후 다시 시도하세요."
    ),
    "The bearer token is empty.": "Bearer 토큰이 비어 있습니다.",
    "The bearer token is longer than {max} characters.": "Bearer 토큰이 {max}자보다 깁니다.",
    "The bearer token is not a well-formed JWT.": "Bearer 토큰이 올바른 형식의 JWT가 아닙니다.",
    "The token's signing algorithm is not allowed (only RS256 is accepted).": (
        "토큰의 서명 알고리즘이 허용되지 않습니다(RS256만 받습니다)."
    ),
    "The token header has no key id (kid).": "토큰 헤더에 키 ID(kid)가 없습니다.",
    "The token's signing key id (kid) is not in the user pool's key set.": (
        "토큰의 서명 키 ID(kid)가 사용자 풀의 키 세트에 없습니다."
    ),
    "The bearer token has expired; get a new one (or refresh it) and retry.": (
        "Bearer 토큰이 만료되었습니다. 새 토큰을 받거나 토큰을 갱신한 뒤 다시 시도하세요."
    ),
    "The token's token_use must be 'id' or 'access'.": "토큰의 token_use는 'id' 또는 'access'여야 합니다.",
    "The ID token's audience (aud) is not an accepted app client.": (
        "ID 토큰의 대상(aud)이 허용된 앱 클라이언트가 아닙니다."
    ),
    "The access token's client_id is not an accepted app client.": (
        "액세스 토큰의 client_id가 허용된 앱 클라이언트가 아닙니다."
    ),
    "The token has no subject (sub claim).": "토큰에 주체(sub 클레임)가 없습니다.",
    "The token has no {claim} claim.": "토큰에 {claim} 클레임이 없습니다.",
    "The token was not issued by the configured Cognito user pool (iss mismatch).": (
        "설정된 Cognito 사용자 풀이 발급한 토큰이 아닙니다(iss 불일치)."
    ),
    "The token signature is invalid.": "토큰 서명이 올바르지 않습니다.",
    "The token is not valid yet, or its nbf claim is malformed.": (
        "토큰이 아직 유효하지 않거나 nbf 클레임의 형식이 잘못되었습니다."
    ),
    "The token's iat claim is malformed.": "토큰의 iat 클레임 형식이 잘못되었습니다.",
    "The token's exp claim is malformed.": "토큰의 exp 클레임 형식이 잘못되었습니다.",
    "The token's sub claim is malformed.": "토큰의 sub 클레임 형식이 잘못되었습니다.",
    "The token's jti claim is malformed.": "토큰의 jti 클레임 형식이 잘못되었습니다.",
    "The token payload is not a JSON object of claims.": "토큰 페이로드가 클레임의 JSON 객체가 아닙니다.",
    "The token could not be verified.": "토큰을 검증할 수 없습니다.",
    # ---- documents: sizes, types, pages ------------------------------------------------------------
    "The uploaded file {name} is empty.": "업로드한 파일 {name}의 내용이 비어 있습니다.",
    "The file is {size}; the limit is {limit} MB.": "파일 크기가 {size}입니다. 한도는 {limit}MB입니다.",
    "Page {page} is {width} x {height} pixels ({mp} megapixels); the limit is {limit} megapixels per page.": (
        "{page}페이지는 {width} x {height}픽셀({mp}메가픽셀)입니다. 한도는 페이지당 {limit}메가픽셀입니다."
    ),
    "Page {page} is {width} x {height} pixels when rendered at {dpi} dpi ({mp} megapixels); "
    "the limit is {limit} megapixels per page.": (
        "{page}페이지를 {dpi}dpi로 렌더링하면 {width} x {height}픽셀({mp}메가픽셀)입니다. "
        "한도는 페이지당 {limit}메가픽셀입니다."
    ),
    "Page {page} embeds an image of {width} x {height} pixels ({mp} megapixels); embedded images are "
    "limited to {limit} megapixels.": (
        "{page}페이지에 {width} x {height}픽셀({mp}메가픽셀) 이미지가 들어 있습니다. "
        "문서에 포함된 이미지는 {limit}메가픽셀까지 허용됩니다."
    ),
    "Image size ({size} pixels) exceeds limit of {limit} pixels, could be decompression bomb DOS attack.": (
        "이미지 크기({size}픽셀)가 한도인 {limit}픽셀을 넘습니다. 압축 폭탄 공격일 수 있습니다."
    ),
    "Invalid `pages`: {problem}. The document has {pages}; use page numbers and ranges such as `1-3,5`.": (
        "`pages` 값이 올바르지 않습니다: {problem}. 문서는 모두 {pages}입니다. "
        "`1-3,5`처럼 페이지 번호와 범위를 사용하세요."
    ),
    "{selected} selected but at most {max} can be processed in one request (the document has {pages}). "
    "Select fewer pages with the `pages` field (for example `pages=1-{max}`) or submit the whole document "
    "to /jobs.": (
        "{selected}를 선택했지만 요청 하나로는 최대 {max}페이지까지 처리할 수 있습니다(문서는 모두 {pages}). "
        "`pages` 필드로 페이지를 줄이거나(예: `pages=1-{max}`) 문서 전체를 /jobs로 제출하세요."
    ),
    "The TIFF has more than {cap} pages; at most {cap} are accepted in one file.": (
        "TIFF의 페이지가 {cap}개를 넘습니다. 파일 하나에 최대 {cap}페이지까지 받습니다."
    ),
    "The file type is not supported. Accepted types: {types}.": "지원하지 않는 파일 형식입니다. 받는 형식: {types}.",
    "This looks like {thing}, which is not supported. Accepted types: {types}.": (
        "이 파일은 {thing}인 것 같습니다. 이 형식은 지원하지 않습니다. 받는 형식: {types}."
    ),
    "The file type is not supported ({filename}). Accepted types: {types}.": (
        "지원하지 않는 파일 형식입니다({filename}). 받는 형식: {types}."
    ),
    "This looks like {thing}, which is not supported ({filename}). Accepted types: {types}.": (
        "이 파일({filename})은 {thing}인 것 같습니다. 이 형식은 지원하지 않습니다. 받는 형식: {types}."
    ),
    "The {kind} image could not be read; it may be corrupt or truncated.": f"{{kind}} 이미지를 읽을 수 없습니다. {_CORRUPT}",
    "The {kind} image could not be read (page {page}); it may be corrupt or truncated.": (
        f"{{kind}} 이미지의 {{page}}페이지를 읽을 수 없습니다. {_CORRUPT}"
    ),
    "{kind} images in colour mode {mode} are not supported.": "색상 모드가 {mode}인 {kind} 이미지는 지원하지 않습니다.",
    "The PDF could not be read; it may be corrupt or truncated.": f"PDF를 읽을 수 없습니다. {_CORRUPT}",
    "Page {page} of the PDF could not be read; it may be corrupt or truncated.": (
        f"PDF의 {{page}}페이지를 읽을 수 없습니다. {_CORRUPT}"
    ),
    "The PDF is password-protected. Remove the password (save an unprotected copy) and upload it again.": (
        "PDF가 비밀번호로 보호되어 있습니다. 비밀번호를 없앤 사본을 저장해 다시 업로드하세요."
    ),
    "The PDF is encrypted with an unsupported security handler. Upload an unprotected copy.": (
        "PDF가 지원하지 않는 보안 처리기로 암호화되어 있습니다. 보호되지 않은 사본을 업로드하세요."
    ),
    "A PDF renderer could not be started; try again.": "PDF 렌더러를 시작할 수 없습니다. 다시 시도하세요.",
    "The request was cancelled; its PDF render was stopped.": "요청이 취소되어 PDF 렌더링을 중단했습니다.",
    "Rendering the PDF took longer than allowed (PDF_RENDER_TIMEOUT_S or the request's deadline); it was stopped.": (
        "PDF 렌더링이 허용된 시간(PDF_RENDER_TIMEOUT_S 또는 요청의 마감 시간)을 넘어 중단되었습니다."
    ),
    "The PDF could not be rendered (its renderer stopped); it may be corrupt or too complex.": (
        "PDF를 렌더링할 수 없습니다(렌더러가 멈췄습니다). 파일이 손상되었거나 너무 복잡할 수 있습니다."
    ),
    "No PDF renderer became free before the deadline (PDF_WORKERS are busy).": (
        "마감 시간 전에 비는 PDF 렌더러가 없었습니다(PDF_WORKERS가 모두 사용 중입니다)."
    ),
    # ---- the queue, readiness and the model server -------------------------------------------------
    "The service is shutting down.": "서비스를 종료하는 중입니다.",
    "Models are still loading.": "모델을 아직 불러오는 중입니다.",
    "Engines failed to load: {error}": "엔진을 불러오지 못했습니다: {error}",
    "The queue is full ({waiting} waiting, {active} in progress); retry later.": (
        "대기열이 가득 찼습니다(대기 {waiting}건, 처리 중 {active}건). 잠시 후 다시 시도하세요."
    ),
    "deadline passed while queued": "대기열에서 기다리는 동안 마감 시간이 지났습니다.",
    "deadline passed before the model server was called": "모델 서버를 호출하기 전에 마감 시간이 지났습니다.",
    "The model server client is not started.": "모델 서버 클라이언트가 시작되지 않았습니다.",
    "The model server at {url} did not answer within {timeout} s (MODEL_SERVER_TIMEOUT).": (
        "{url}의 모델 서버가 {timeout}초 안에 응답하지 않았습니다(MODEL_SERVER_TIMEOUT)."
    ),
    "The model server at {url} failed: {error}.": "{url}의 모델 서버에서 오류가 났습니다: {error}.",
    "The model server at {url} is unreachable ({error}); check OCR_MODEL_SERVER_URL and that "
    "`python -m app.model_server` is running.": (
        "{url}의 모델 서버에 연결할 수 없습니다({error}). OCR_MODEL_SERVER_URL 설정과 "
        "`python -m app.model_server`가 실행 중인지 확인하세요."
    ),
    "The model server is not ready: {message}": "모델 서버가 준비되지 않았습니다: {message}",
    "The model server failed (HTTP {status}): {message}": "모델 서버에서 오류가 났습니다(HTTP {status}): {message}",
    "This deployment runs its engines on a model server (OCR_MODEL_SERVER_URL), which serves text detection "
    "and recognition only; '{kind}' (used by /structure) is not available.": (
        "이 배포는 엔진을 모델 서버(OCR_MODEL_SERVER_URL)에서 실행하며, 모델 서버는 텍스트 검출과 인식만 "
        "제공합니다. /structure가 쓰는 '{kind}' 기능은 사용할 수 없습니다."
    ),
    "At most {max} crops per request.": "요청 하나에 잘라낸 이미지는 최대 {max}개까지 보낼 수 있습니다.",
    "run_check did not finish in time": "run_check가 제시간에 끝나지 않았습니다.",
    "Unknown profile {name}; this deployment has {profiles} (GET /models).": (
        "알 수 없는 프로필 {name}입니다. 이 배포에 있는 프로필: {profiles}(GET /models)."
    ),
    "Profile {name} needs about {needs} MB of models; the profiles loaded now hold {used} MB of "
    "OCR_PROFILES_MEMORY_MB={budget}. Retry when an idle profile has been unloaded, or use another profile.": (
        "프로필 {name}에는 모델 메모리가 약 {needs}MB 필요하지만, 지금 불러온 프로필이 "
        "OCR_PROFILES_MEMORY_MB={budget} 중 {used}MB를 쓰고 있습니다. 쓰지 않는 프로필이 내려간 뒤 다시 "
        "시도하거나 다른 프로필을 사용하세요."
    ),
    "Profile {name} needs about {needs} MB; this process holds {held} MB ({kind}) of "
    "OCR_MEMORY_CEILING_MB={ceiling}. Retry when an idle profile has been unloaded, or use another profile.": (
        "프로필 {name}에는 메모리가 약 {needs}MB 필요하지만, 이 프로세스가 OCR_MEMORY_CEILING_MB={ceiling} 중 "
        "{held}MB({kind})를 쓰고 있습니다. 쓰지 않는 프로필이 내려간 뒤 다시 시도하거나 다른 프로필을 사용하세요."
    ),
    "/structure is not available: {reason}.": "/structure를 사용할 수 없습니다: {reason}.",
    # ---- batches and jobs --------------------------------------------------------------------------
    "{count} files sent; at most {max} (MAX_BATCH_FILES).": (
        "파일을 {count}개 보냈습니다. 한 번에 최대 {max}개까지 보낼 수 있습니다(MAX_BATCH_FILES)."
    ),
    "{count} files sent; a job takes at most {max} (JOBS_MAX_FILES).": (
        "파일을 {count}개 보냈습니다. 작업 하나에는 최대 {max}개까지 넣을 수 있습니다(JOBS_MAX_FILES)."
    ),
    "{total} pages in all; a job takes at most {max} (JOBS_MAX_PAGES). Select fewer pages with `pages` "
    "or split the submission.": (
        "모두 {total}페이지입니다. 작업 하나는 최대 {max}페이지까지 처리합니다(JOBS_MAX_PAGES). "
        "`pages`로 페이지를 줄이거나 여러 번에 나눠 제출하세요."
    ),
    "Send the document in the form field 'file' (or repeated 'files').": (
        "문서를 'file' 폼 필드(또는 여러 번 쓴 'files' 필드)로 보내세요."
    ),
    "Unknown task {name}; one of: {tasks}.": "알 수 없는 작업 {name}입니다. 다음 중 하나를 쓰세요: {tasks}.",
    "task 'structure' is not available: {reason}.": "'structure' 작업을 사용할 수 없습니다: {reason}.",
    "This API key's jobs keep {stored} MB of documents, and the quota is {quota} MB "
    "(JOBS_MAX_STORED_MB_PER_KEY). DELETE /jobs/<id> of finished jobs, or wait for them to expire (JOB_TTL_HOURS).": (
        "이 API 키의 작업이 문서 {stored}MB를 보관하고 있고, 한도는 {quota}MB입니다(JOBS_MAX_STORED_MB_PER_KEY). "
        "끝난 작업을 DELETE /jobs/<id>로 지우거나 만료될 때까지 기다리세요(JOB_TTL_HOURS)."
    ),
    "This API key's jobs keep {stored} MB of documents; this job would add {adding} MB, and the quota is "
    "{quota} MB (JOBS_MAX_STORED_MB_PER_KEY). DELETE /jobs/<id> of finished jobs, or wait for them to expire "
    "(JOB_TTL_HOURS).": (
        "이 API 키의 작업이 문서 {stored}MB를 보관하고 있고 이 작업이 {adding}MB를 더하는데, 한도는 {quota}MB입니다"
        "(JOBS_MAX_STORED_MB_PER_KEY). 끝난 작업을 DELETE /jobs/<id>로 지우거나 만료될 때까지 기다리세요"
        "(JOB_TTL_HOURS)."
    ),
    "This API key already has {active} unfinished jobs (JOBS_MAX_ACTIVE_PER_KEY); retry when some finish.": (
        "이 API 키에는 끝나지 않은 작업이 이미 {active}개 있습니다(JOBS_MAX_ACTIVE_PER_KEY). "
        "일부가 끝난 뒤 다시 시도하세요."
    ),
    "The job backend is not running.": "작업 백엔드가 실행 중이 아닙니다.",
    "No job {job_id}.": "{job_id} 작업이 없습니다.",
    "callback_url is not available: the service has no JOB_WEBHOOK_SECRET to sign callbacks with.": (
        "callback_url을 사용할 수 없습니다: 콜백에 서명할 JOB_WEBHOOK_SECRET이 설정되어 있지 않습니다."
    ),
    "callback_url must be an absolute http(s) URL.": "callback_url은 절대 http(s) URL이어야 합니다.",
    "callback_url must not contain credentials.": "callback_url에 인증 정보를 넣을 수 없습니다.",
    "callback_url points to a private, loopback or otherwise non-public address (JOB_WEBHOOK_ALLOW_PRIVATE is off).": (
        "callback_url이 사설, 루프백 또는 그 밖의 공개되지 않은 주소를 가리킵니다"
        "(JOB_WEBHOOK_ALLOW_PRIVATE가 꺼져 있습니다)."
    ),
    # ---- /extraction -------------------------------------------------------------------------------
    "Give either 'fields' (names, a JSON array, or a JSON object {name: description}) or 'template' "
    "(e.g. invoice, receipt, business_registration).": (
        "'fields'(이름 목록, JSON 배열 또는 JSON 객체 {name: description})나 "
        "'template'(예: invoice, receipt, business_registration) 중 하나를 보내세요."
    ),
    "Give either 'fields' or 'template', not both.": "'fields'와 'template' 중 하나만 보내세요.",
    "Unknown template {name}; available: {names}.": "알 수 없는 템플릿 {name}입니다. 사용할 수 있는 템플릿: {names}.",
    "fields: {problem}": "fields 값이 올바르지 않습니다: {problem}",
    # a file of a job or a batch, named before its own error
    "{filename}: {message}": "{filename}: {message}",
}

FRAGMENTS: dict[str, str] = {
    "{count:d} page": "{count}페이지",
    "{count:d} pages": "{count}페이지",
    "PNG, JPEG, TIFF, BMP, WebP or PDF": OK_TYPES,
    " Did you mean {codes}?": " 혹시 다음 코드를 찾으셨나요: {codes}?",
    # what an unsupported upload looks like
    "a GIF image": "GIF 이미지",
    "a ZIP archive (or an Office document)": "ZIP 압축 파일(또는 Office 문서)",
    "an empty ZIP archive": "빈 ZIP 압축 파일",
    "a legacy Office document": "구형 Office 문서",
    "a JPEG 2000 image": "JPEG 2000 이미지",
    "a JPEG 2000 codestream": "JPEG 2000 코드스트림",
    "a Photoshop document": "Photoshop 문서",
    "a gzip archive": "gzip 압축 파일",
    "a RAR archive": "RAR 압축 파일",
    "a 7-Zip archive": "7-Zip 압축 파일",
    "an icon file": "아이콘 파일",
    "a HEIC/HEIF/AVIF image": "HEIC/HEIF/AVIF 이미지",
    "an ISO media file (video or HEIF)": "ISO 미디어 파일(동영상 또는 HEIF)",
    "an XML/SVG file": "XML/SVG 파일",
    "an HTML page": "HTML 페이지",
    # why `pages` is invalid
    "the value is longer than {max} characters": "값이 {max}자보다 깁니다",
    "empty entry in {text}": "{text}에 빈 항목이 있습니다",
    "{part} is not a page number or a range like `2-4`": "{part}: 페이지 번호나 `2-4` 같은 범위가 아닙니다",
    "{part}: pages are numbered from 1": "{part}: 페이지 번호는 1부터 시작합니다",
    "{part} is a reversed range (write `{end}-{start}`)": (
        "{part}: 범위가 거꾸로 되어 있습니다(`{end}-{start}` 형식으로 쓰세요)"
    ),
    "page {end:d} is past the end of the document": "{end}페이지는 문서의 마지막 페이지보다 뒤에 있습니다",
    "range {part} is past the end of the document": "{part} 범위가 문서의 마지막 페이지를 넘습니다",
    # why a feature is not available
    "this deployment's engines run on a model server (OCR_MODEL_SERVER_URL), which serves text detection and "
    "recognition only": (
        "이 배포의 엔진은 텍스트 검출과 인식만 제공하는 모델 서버(OCR_MODEL_SERVER_URL)에서 실행됩니다"
    ),
    "the layout and table engines are not loaded in this service": (
        "이 서비스에 layout 엔진과 table 엔진이 로드되어 있지 않습니다"
    ),
    "the {kinds} engines are not loaded in this service": "이 서비스에 {kinds} 엔진이 로드되어 있지 않습니다",
    "task '{task}' is not available in this build ({module} is missing)": (
        "이 빌드에서는 '{task}' 작업을 사용할 수 없습니다({module} 모듈이 없습니다)"
    ),
    # why `fields` is invalid
    "field names must be strings, got {type}": "필드 이름은 문자열이어야 합니다(받은 값의 형식: {type})",
    "empty field name": "필드 이름이 비어 있습니다",
    "field name longer than {max} characters: {name}…": "필드 이름이 {max}자보다 깁니다: {name}…",
    "field name {name} has characters other than letters, digits, space, _ - . / ( ) #": (
        "필드 이름 {name}에 글자, 숫자, 공백, _ - . / ( ) # 말고 다른 문자가 있습니다"
    ),
    "description of {name} is longer than {max} characters": "{name} 필드의 설명이 {max}자보다 깁니다",
    "{name}: unknown keys {keys} (allowed: description, type, synonyms)": (
        "{name}: 알 수 없는 키 {keys}(쓸 수 있는 키: description, type, synonyms)"
    ),
    "{name}: description must be a string of at most {max} characters": (
        "{name}: description은 {max}자 이하의 문자열이어야 합니다"
    ),
    "{name}: type {type} is not one of {types}": "{name}: type은 {types} 중 하나여야 합니다(받은 값: {type})",
    "{name}: synonyms must be a list of strings": "{name}: synonyms는 문자열 목록이어야 합니다",
    "{name}: at most {count} synonyms of at most {max} characters each": (
        "{name}: synonyms는 최대 {count}개, 각각 {max}자 이하여야 합니다"
    ),
    "the value for {name} must be a description string (or an object), not {type}": (
        "{name} 필드의 값은 설명 문자열(또는 객체)이어야 합니다(받은 값의 형식: {type})"
    ),
    "no field names given": "필드 이름이 없습니다",
    "the fields value is {count} characters; at most {max} are accepted": (
        "fields 값이 {count}자입니다. 최대 {max}자까지 받습니다"
    ),
    "not valid JSON ({error} at line {line} column {column})": "올바른 JSON이 아닙니다({line}행 {column}열: {error})",
    "the JSON is nested too deeply (an array of names or an object {name: description})": (
        "JSON이 너무 깊게 중첩되어 있습니다(이름 배열이나 {name: description} 객체를 보내세요)"
    ),
    "JSON must be an array of names or an object {name: description}": (
        "JSON은 이름 배열이나 {name: description} 객체여야 합니다"
    ),
    "field {name} is given twice": "{name} 필드가 두 번 들어 있습니다",
    "at most {max} fields per request, got {count}": "요청 하나에 필드는 최대 {max}개까지입니다(받은 필드: {count}개)",
}

VALIDATION_FALLBACK = "값이 올바르지 않습니다"

VALIDATION: dict[str, str] = {
    "missing": "필수 항목입니다",
    "int_parsing": "정수여야 합니다",
    "int_type": "정수여야 합니다",
    "int_from_float": "소수점 없는 정수여야 합니다",
    "float_parsing": "숫자여야 합니다",
    "float_type": "숫자여야 합니다",
    "bool_parsing": "true 또는 false여야 합니다",
    "bool_type": "true 또는 false여야 합니다",
    "string_type": "문자열이어야 합니다",
    "string_too_short": "{min_length}자 이상이어야 합니다",
    "string_too_long": "{max_length}자 이하여야 합니다",
    "string_pattern_mismatch": "형식이 맞지 않습니다(패턴: {pattern})",
    "greater_than": "{gt}보다 커야 합니다",
    "greater_than_equal": "{ge} 이상이어야 합니다",
    "less_than": "{lt}보다 작아야 합니다",
    "less_than_equal": "{le} 이하여야 합니다",
    "multiple_of": "{multiple_of}의 배수여야 합니다",
    "finite_number": "유한한 숫자여야 합니다",
    "literal_error": "다음 중 하나여야 합니다: {expected}",
    "enum": "다음 중 하나여야 합니다: {expected}",
    "list_type": "목록이어야 합니다",
    "dict_type": "객체여야 합니다",
    "model_attributes_type": "객체여야 합니다",
    "too_short": "항목이 {min_length}개 이상이어야 합니다",
    "too_long": "항목이 {max_length}개 이하여야 합니다",
    "json_invalid": "올바른 JSON이 아닙니다",
    "json_type": "JSON 문자열이어야 합니다",
    "url_parsing": "올바른 URL이 아닙니다",
    "url_scheme": "URL 스킴이 허용되지 않습니다(허용: {expected_schemes})",
    "uuid_parsing": "올바른 UUID가 아닙니다",
    "extra_forbidden": "허용되지 않는 항목입니다",
    "value_error": "값이 올바르지 않습니다: {error}",
}
