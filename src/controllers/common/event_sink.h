#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace tenantdb::controllers {

// Sends an Event about an object: (object, type "Normal"/"Warning", reason, note). Reasons come
// from the closed vocabulary of api/v1alpha1/conditions.h; notes never hold a secret.
using EventSink = std::function<void(const nlohmann::json& object, std::string_view type,
                                     std::string_view reason, const std::string& note)>;

}  // namespace tenantdb::controllers
