#pragma once

// References to a typed object (any kind with `static constexpr GroupVersionKind kGvk` and an
// ObjectMeta `metadata`), for what still takes JSON: the Event recorder and owner references.

#include <string>

#include "api/v1alpha1/gvk.h"
#include "api/v1alpha1/json_codec.h"
#include "api/v1alpha1/meta.h"

namespace tenantdb::api::v1alpha1 {

// The object as controllers::EventSink / runtime::KubeEventRecorder read it (the Event's
// `regarding`): apiVersion, kind, metadata name, namespace (when set), uid and resourceVersion
// (when known).
template <class Object>
Json EventObjectOf(const Object& object) {
  Json metadata = {{"name", object.metadata.name}};
  if (!object.metadata.ns.empty()) {
    metadata["namespace"] = object.metadata.ns;
  }
  if (!object.metadata.uid.empty()) {
    metadata["uid"] = object.metadata.uid;
  }
  if (!object.metadata.resource_version.empty()) {
    metadata["resourceVersion"] = object.metadata.resource_version;
  }
  return Json{{"apiVersion", std::string(kApiVersion)},
              {"kind", std::string(Object::kGvk.kind)},
              {"metadata", std::move(metadata)}};
}

// The ownerReference that makes `object` the controller of what it owns (e.g. a DatabaseRole's
// credentials Secret): controller and blockOwnerDeletion true, so the garbage collector deletes
// the owned object with its owner. Encode() gives its JSON.
template <class Object>
OwnerReference ControllerReferenceTo(const Object& object) {
  return OwnerReference{.api_version = std::string(kApiVersion),
                        .kind = std::string(Object::kGvk.kind),
                        .name = object.metadata.name,
                        .uid = object.metadata.uid,
                        .controller = true,
                        .block_owner_deletion = true};
}

}  // namespace tenantdb::api::v1alpha1
