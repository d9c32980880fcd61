#include "kube/api_error.h"

#include <charconv>
#include <nlohmann/json.hpp>

namespace tenantdb::kube {
namespace {

constexpr std::size_t kMaxBodyInMessage = 512;

int ParseSeconds(std::string_view text) {
  while (!text.empty() && text.front() == ' ') {
    text.remove_prefix(1);
  }
  int value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || value < 0) {
    return 0;  // an HTTP-date or garbage: let the caller's backoff decide
  }
  (void)end;
  return value;
}

}  // namespace

std::optional<ApiStatus> ParseStatus(std::string_view body) {
  const nlohmann::json j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object() || j.value("kind", "") != "Status") {
    return std::nullopt;
  }
  ApiStatus status;
  if (const auto it = j.find("code"); it != j.end() && it->is_number_integer()) {
    status.code = it->get<int>();
  }
  if (const auto it = j.find("reason"); it != j.end() && it->is_string()) {
    status.reason = it->get<std::string>();
  }
  if (const auto it = j.find("message"); it != j.end() && it->is_string()) {
    status.message = it->get<std::string>();
  }
  if (const auto details = j.find("details"); details != j.end() && details->is_object()) {
    if (const auto it = details->find("retryAfterSeconds");
        it != details->end() && it->is_number_integer()) {
      status.retry_after_seconds = it->get<int>();
    }
  }
  return status;
}

Error ErrorFromStatus(int http_status, const ApiStatus& status, std::string_view what) {
  std::string message(what);
  message += ": ";
  message += status.message.empty() ? "the server gave no message" : status.message;
  message += " (HTTP " + std::to_string(http_status);
  if (!status.reason.empty()) {
    message += " " + status.reason;
  }
  message += ")";

  Error error;
  if (http_status == 404) {
    error = Error::NotFound(std::move(message));
  } else if (http_status == 409 || http_status == 410) {
    error = Error::Conflict(std::move(message));
  } else if (http_status == 400 || http_status == 422) {
    error = Error::Invalid(std::move(message));
  } else if (http_status == 401 || http_status == 403) {
    error = Error::Permission(std::move(message));
  } else if (http_status == 429 || (http_status >= 500 && http_status <= 599)) {
    error = Error::Transient(std::move(message));
  } else {
    error = Error::Internal(std::move(message));
  }
  error.http_status = http_status;
  error.retry_after_seconds = status.retry_after_seconds;
  return error;
}

Error ErrorFromResponse(const HttpResponse& response, std::string_view what) {
  ApiStatus status;
  if (auto parsed = ParseStatus(response.body)) {
    status = std::move(*parsed);
  } else if (!response.body.empty()) {
    status.message = response.body.size() > kMaxBodyInMessage
                         ? response.body.substr(0, kMaxBodyInMessage) + "..."
                         : response.body;
  }
  if (const auto it = response.headers.find("retry-after"); it != response.headers.end()) {
    if (const int seconds = ParseSeconds(it->second); seconds > 0) {
      status.retry_after_seconds = seconds;
    }
  }
  return ErrorFromStatus(response.status, status, what);
}

}  // namespace tenantdb::kube
