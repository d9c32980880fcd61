// The only file that includes cpprestsdk (STYLE.md R22). What it relies on in cpprest 2.10.18's
// asio client (Release/src/http/client/http_client_asio.cpp):
//  - the ssl_context_callback runs once per new connection, on a fresh boost::asio::ssl::context
//    (system trust paths, default workarounds), before the connection's ssl::stream is made from
//    it; we move our one shared, configured SSL_CTX into it instead (reference-counted), so every
//    connection shares one CA store and one set of settings rather than building its own;
//  - validate_certificates() => verify_peer plus rfc2818 host checking of the base URI's host;
//    false => verify_none;
//  - the client timeout is an idle timer reset on every read; on expiry it closes the socket;
//  - request() completes once the headers are in; the body then streams into a
//    producer_consumer_buffer on the shared pool while we read it on the calling thread;
//  - cancelling the request's token closes the socket, which ends the body with an error.

#include "kube/cpprest_transport.h"

#include <cpprest/http_client.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>
#include <pplx/threadpool.h>

#include <algorithm>
#include <cctype>
#include <exception>
#include <map>
#include <mutex>
#include <semaphore>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

namespace tenantdb::kube {

void ConfigureCpprestThreads(std::size_t threads) {
  try {
    crossplat::threadpool::initialize_with_threads(threads);
  } catch (const std::exception&) {
    // Already initialised: keep the pool as it is.
  }
}
namespace {

namespace http = web::http;
namespace client = web::http::client;

constexpr std::size_t kMaxChunk = 64 * 1024;

// --- OpenSSL helpers --------------------------------------------------------------------------

std::string OpenSslErrors() {
  std::string out;
  while (const unsigned long code = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(code, buf, sizeof(buf));
    if (!out.empty()) {
      out += "; ";
    }
    out += buf;
  }
  return out.empty() ? "no details from OpenSSL" : out;
}

// Never prompt on a terminal for a pass phrase: encrypted keys are not supported.
int NoPassword(char*, int, int, void*) { return 0; }

struct BioDeleter {
  void operator()(BIO* b) const { BIO_free(b); }
};
using BioPtr = std::unique_ptr<BIO, BioDeleter>;

BioPtr MemBio(const std::string& pem) {
  return BioPtr(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
}

// Why the last certificate verification failed, kept per client for error messages. Owned by
// shared_ptrs in the SSL_CTX ex_data, so a connection outliving its transport stays valid.
struct TlsDiagnostics {
  std::mutex mu;
  std::string last_failure;

  void Record(std::string what) {
    std::lock_guard lock(mu);
    last_failure = std::move(what);
  }
  std::string Take() {
    std::lock_guard lock(mu);
    return std::exchange(last_failure, std::string());
  }
};
using DiagnosticsHandle = std::shared_ptr<TlsDiagnostics>;

void FreeDiagnostics(void*, void* ptr, CRYPTO_EX_DATA*, int, long, void*) {
  delete static_cast<DiagnosticsHandle*>(ptr);
}

int DiagnosticsIndex() {
  static const int index = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, &FreeDiagnostics);
  return index;
}

// Wraps OpenSSL's chain verification (which calls asio's rfc2818 callback) to remember why it
// failed.
int VerifyAndRecord(X509_STORE_CTX* store_ctx, void* arg) {
  const int ok = X509_verify_cert(store_ctx);
  if (ok <= 0 && arg != nullptr) {
    const int err = X509_STORE_CTX_get_error(store_ctx);
    std::string what = err == X509_V_OK ? "the server's certificate is not valid for this host name"
                                        : std::string("server certificate verification failed: ") +
                                              X509_verify_cert_error_string(err);
    (*static_cast<DiagnosticsHandle*>(arg))->Record(std::move(what));
  }
  return ok;
}

struct TlsMaterial {
  std::string ca_pem;
  std::string client_cert_pem;
  std::string client_key_pem;
  std::string host;  // to verify: a DNS name or an IP address (without brackets)
  bool insecure = false;
};

// Configures an SSL_CTX from memory. Returns "" or what is wrong.
std::string ConfigureSslContext(SSL_CTX* ctx, const TlsMaterial& tls,
                                const DiagnosticsHandle& diagnostics) {
  ERR_clear_error();
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  if (!tls.ca_pem.empty()) {
    // Only the configured CA: a fresh store drops the system trust paths cpprest set.
    X509_STORE* store = X509_STORE_new();
    if (store == nullptr) {
      return "cannot allocate an X509 store: " + OpenSslErrors();
    }
    BioPtr bio = MemBio(tls.ca_pem);
    int added = 0;
    while (X509* cert = PEM_read_bio_X509(bio.get(), nullptr, &NoPassword, nullptr)) {
      if (X509_STORE_add_cert(store, cert) == 1) {
        ++added;
      }
      X509_free(cert);
    }
    ERR_clear_error();  // the loop ends on a "no start line" error
    if (added == 0) {
      X509_STORE_free(store);
      return "the certificate authority contains no usable PEM certificate";
    }
    SSL_CTX_set_cert_store(ctx, store);  // takes ownership, frees the previous store
  }
  if (!tls.client_cert_pem.empty()) {
    BioPtr bio = MemBio(tls.client_cert_pem);
    X509* leaf = PEM_read_bio_X509(bio.get(), nullptr, &NoPassword, nullptr);
    if (leaf == nullptr) {
      return "the client certificate is not a PEM certificate: " + OpenSslErrors();
    }
    const int used = SSL_CTX_use_certificate(ctx, leaf);
    X509_free(leaf);
    if (used != 1) {
      return "the client certificate cannot be used: " + OpenSslErrors();
    }
    while (X509* extra = PEM_read_bio_X509(bio.get(), nullptr, &NoPassword, nullptr)) {
      if (SSL_CTX_add0_chain_cert(ctx, extra) != 1) {  // takes ownership on success
        X509_free(extra);
      }
    }
    ERR_clear_error();
    BioPtr key_bio = MemBio(tls.client_key_pem);
    EVP_PKEY* key = PEM_read_bio_PrivateKey(key_bio.get(), nullptr, &NoPassword, nullptr);
    if (key == nullptr) {
      return "the client key is not an unencrypted PEM private key: " + OpenSslErrors();
    }
    const int key_used = SSL_CTX_use_PrivateKey(ctx, key);
    EVP_PKEY_free(key);
    if (key_used != 1 || SSL_CTX_check_private_key(ctx) != 1) {
      return "the client key does not match the client certificate: " + OpenSslErrors();
    }
  }
  if (!tls.insecure) {
    // Host name / IP verification by OpenSSL itself (cpprest's rfc2818 check runs as well), so a
    // mismatch fails with a precise reason.
    X509_VERIFY_PARAM* param = SSL_CTX_get0_param(ctx);
    if (X509_VERIFY_PARAM_set1_ip_asc(param, tls.host.c_str()) != 1) {
      ERR_clear_error();  // not an IP address: a DNS name
      X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
      if (X509_VERIFY_PARAM_set1_host(param, tls.host.c_str(), tls.host.size()) != 1) {
        return "cannot set the host name to verify: " + OpenSslErrors();
      }
    }
    if (diagnostics) {
      auto* handle = new DiagnosticsHandle(diagnostics);
      if (SSL_CTX_set_ex_data(ctx, DiagnosticsIndex(), handle) == 1) {
        SSL_CTX_set_cert_verify_callback(ctx, &VerifyAndRecord, handle);
      } else {
        delete handle;
      }
    }
  }
  return "";
}

std::string ToLower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

bool Is2xx(int status) { return status >= 200 && status <= 299; }

HttpResponse ConvertHeaders(const http::http_response& response) {
  HttpResponse out;
  out.status = response.status_code();
  for (const auto& [name, value] : response.headers()) {
    out.headers[ToLower(name)] = value;
  }
  return out;
}

bool IsTimeout(const http::http_exception& e) {
  return e.error_code() == std::errc::timed_out ||
         e.error_code().value() == static_cast<int>(std::errc::timed_out);
}

}  // namespace

struct SslCtxDeleter {
  void operator()(SSL_CTX* ctx) const { SSL_CTX_free(ctx); }
};
using SharedSslCtx = std::shared_ptr<SSL_CTX>;

// The one client context of a transport: what cpprest's per-connection context starts with (system
// trust paths, SSL_OP_ALL), then ConfigureSslContext, and SSL_MODE_RELEASE_BUFFERS so an idle
// connection (a watch waiting for events) gives back its read and write buffers.
Expected<SharedSslCtx> NewSharedSslCtx(const TlsMaterial& tls,
                                       const DiagnosticsHandle& diagnostics) {
  SharedSslCtx ctx(SSL_CTX_new(TLS_client_method()), SslCtxDeleter());
  if (!ctx) {
    return Error::Internal("cannot create an OpenSSL context: " + OpenSslErrors());
  }
  SSL_CTX_set_default_verify_paths(ctx.get());
  SSL_CTX_set_options(ctx.get(), SSL_OP_ALL);
  SSL_CTX_set_mode(ctx.get(), SSL_MODE_RELEASE_BUFFERS);
  if (std::string problem = ConfigureSslContext(ctx.get(), tls, diagnostics); !problem.empty()) {
    return Error::Invalid(std::move(problem));
  }
  return ctx;
}

struct CpprestTransport::Impl {
  ClusterConfig config;
  web::uri base;
  TlsMaterial tls;
  DiagnosticsHandle diagnostics = std::make_shared<TlsDiagnostics>();
  SharedSslCtx ssl_ctx;  // https only
  std::counting_semaphore<kMaxRequestsInFlight> in_flight{kMaxRequestsInFlight};
  std::mutex mu;
  std::map<std::chrono::seconds::rep, std::shared_ptr<client::http_client>> clients;

  client::http_client_config ClientConfig(std::chrono::seconds timeout) const {
    client::http_client_config cfg;
    cfg.set_timeout(timeout);
    cfg.set_max_redirects(0);  // never forward the bearer token elsewhere
    cfg.set_validate_certificates(!config.insecure_skip_tls_verify);
    if (ssl_ctx) {
      // The connection's stream takes its own reference; cpprest's fresh context is freed here.
      cfg.set_ssl_context_callback([shared = ssl_ctx](boost::asio::ssl::context& ctx) {
        SSL_CTX_up_ref(shared.get());
        ctx = boost::asio::ssl::context(shared.get());
      });
    }
    return cfg;
  }

  std::shared_ptr<client::http_client> NewClient(std::chrono::seconds timeout) const {
    return std::make_shared<client::http_client>(base, ClientConfig(timeout));
  }

  // A shared client (and connection pool) per timeout, for Send().
  std::shared_ptr<client::http_client> PooledClient(std::chrono::seconds timeout) {
    std::lock_guard lock(mu);
    auto& slot = clients[timeout.count()];
    if (!slot) {
      slot = NewClient(timeout);
    }
    return slot;
  }

  // Replaces a client whose connections went bad (cpprestsdk#592).
  void Discard(std::chrono::seconds timeout, const std::shared_ptr<client::http_client>& bad) {
    std::lock_guard lock(mu);
    auto it = clients.find(timeout.count());
    if (it != clients.end() && it->second == bad) {
      clients.erase(it);
    }
  }

  Expected<http::http_request> MakeRequest(const HttpRequest& request) const {
    http::http_request msg(request.method);
    try {
      msg.set_request_uri(web::uri(request.path));
    } catch (const std::exception& e) {
      return Error::Internal(request.method + " " + request.path +
                             ": invalid request path: " + e.what());
    }
    auto& headers = msg.headers();
    headers.add("Accept", "application/json");
    headers.add("User-Agent", "tenantdb");
    if (config.token_source) {
      auto token = config.token_source();
      if (!token) {
        return Error::Transient("reading the bearer token: " + token.error().message);
      }
      if (!token->empty()) {
        headers.add("Authorization", "Bearer " + *token);
      }
    }
    for (const auto& [name, value] : request.headers) {
      headers.add(name, value);
    }
    if (!request.body.empty() || !request.content_type.empty()) {
      msg.set_body(std::string(request.body),
                   request.content_type.empty() ? "application/json" : request.content_type);
    }
    return msg;
  }

  // A transport failure as kTransient with a message that says what failed (never the token).
  Error Failure(const HttpRequest& request, std::string_view stage, const std::exception& e) {
    std::string message = request.method + " " + config.server + request.path + ": " +
                          std::string(stage) + ": " + e.what();
    if (const auto* he = dynamic_cast<const http::http_exception*>(&e)) {
      if (IsTimeout(*he)) {
        message += " (no data for " + std::to_string(request.timeout.count()) + " s: timed out)";
      } else if (const std::string detail = he->error_code().message();
                 he->error_code() && detail != e.what() && !detail.starts_with("Unknown error")) {
        message += " (" + detail + ")";
      }
    }
    if (std::string tls = diagnostics->Take(); !tls.empty()) {
      message += ": " + tls + " (check certificate-authority and the server address of " +
                 config.source + ")";
    }
    return Error::Transient(std::move(message));
  }

  // Whether a failed request may be sent again on a fresh connection: GETs unless they timed out
  // (that would only double the wait), anything whose headers never went out.
  static bool Retryable(const HttpRequest& request, const std::exception& e) {
    const auto* he = dynamic_cast<const http::http_exception*>(&e);
    if (he == nullptr || IsTimeout(*he)) {
      return false;
    }
    if (request.method == "GET" || request.method == "HEAD") {
      return true;
    }
    return std::string_view(he->what()).find("Failed to write request headers") !=
           std::string_view::npos;
  }
};

CpprestTransport::CpprestTransport(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

CpprestTransport::~CpprestTransport() = default;

Expected<std::unique_ptr<CpprestTransport>> CpprestTransport::Create(ClusterConfig config) {
  const std::string where = config.source.empty() ? "cluster configuration" : config.source;
  auto impl = std::make_unique<Impl>();
  try {
    impl->base = web::uri(config.server);
  } catch (const std::exception& e) {
    return Error::Invalid(where + ": server " + config.server + " is not a valid URL: " + e.what());
  }
  if (impl->base.scheme() != "https" && impl->base.scheme() != "http") {
    return Error::Invalid(where + ": server " + config.server + " must be an https:// URL");
  }
  std::string host = impl->base.host();
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  impl->tls = TlsMaterial{config.ca_pem, config.client_cert_pem, config.client_key_pem,
                          ToLower(host), config.insecure_skip_tls_verify};
  if (impl->base.scheme() == "https") {
    auto ctx = NewSharedSslCtx(impl->tls, impl->diagnostics);
    if (!ctx) {
      Error e = ctx.error();
      if (e.code == ErrorCode::kInvalid) {
        e.message = where + ": " + e.message;
      }
      return e;
    }
    impl->ssl_ctx = std::move(*ctx);
  }
  impl->config = std::move(config);
  return std::unique_ptr<CpprestTransport>(new CpprestTransport(std::move(impl)));
}

Expected<HttpResponse> CpprestTransport::Send(const HttpRequest& request) {
  impl_->in_flight.acquire();
  struct Release {
    std::counting_semaphore<kMaxRequestsInFlight>& slots;
    ~Release() { slots.release(); }
  } release{impl_->in_flight};
  for (int attempt = 0;; ++attempt) {
    TENANTDB_TRY(http::http_request msg, impl_->MakeRequest(request));
    auto client = impl_->PooledClient(request.timeout);
    try {
      http::http_response response = client->request(msg).get();
      HttpResponse out = ConvertHeaders(response);
      out.body = response.extract_utf8string(/*ignore_content_type=*/true).get();
      return out;
    } catch (const std::exception& e) {
      impl_->Discard(request.timeout, client);
      if (attempt == 0 && Impl::Retryable(request, e)) {
        impl_->diagnostics->Take();  // a TLS failure is reported by the retry, if it fails too
        continue;
      }
      return impl_->Failure(request, "request failed", e);
    }
  }
}

Expected<HttpResponse> CpprestTransport::Stream(const HttpRequest& request,
                                                const ChunkHandler& on_chunk,
                                                std::stop_token stop) {
  pplx::cancellation_token_source cancel;
  // Stop => cancel => cpprest closes the socket => the blocked read below returns.
  const std::stop_callback on_stop(stop, [&cancel] { cancel.cancel(); });

  http::http_response response;
  for (int attempt = 0;; ++attempt) {
    TENANTDB_TRY(http::http_request msg, impl_->MakeRequest(request));
    // Its own client: a long watch never shares (or returns to) the pooled connections.
    auto client = impl_->NewClient(request.timeout);
    try {
      response = client->request(msg, cancel.get_token()).get();
      break;
    } catch (const std::exception& e) {
      if (stop.stop_requested()) {
        return Error::Transient(request.method + " " + request.path +
                                ": stopped before the server answered");
      }
      if (attempt == 0 && Impl::Retryable(request, e)) {
        continue;
      }
      return impl_->Failure(request, "request failed", e);
    }
  }

  HttpResponse out = ConvertHeaders(response);
  try {
    if (!Is2xx(out.status)) {
      out.body = response.extract_utf8string(/*ignore_content_type=*/true).get();
      return out;
    }
    auto body = response.body().streambuf();
    std::string chunk;
    while (!stop.stop_requested()) {
      // Waits (on this thread only) until at least one byte is buffered or the body ended. getc()
      // neither consumes nor writes into our memory, so nothing dangles if we give up.
      const auto next = body.getc().get();
      if (next == decltype(body)::traits::eof()) {
        break;  // the server ended the body
      }
      const std::size_t available = std::max<std::size_t>(body.in_avail(), 1);
      chunk.resize(std::min(available, kMaxChunk));
      // Satisfied from the buffer at once: in_avail() bytes are there.
      const std::size_t n = body.getn(reinterpret_cast<uint8_t*>(chunk.data()), chunk.size()).get();
      chunk.resize(n);
      if (n > 0 && !on_chunk(chunk)) {
        cancel.cancel();
        break;
      }
    }
  } catch (const std::exception& e) {
    if (stop.stop_requested()) {
      return out;  // asked to stop: not a failure
    }
    return impl_->Failure(request, "reading the response body", e);
  }
  return out;
}

}  // namespace tenantdb::kube
