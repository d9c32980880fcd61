#include "migrate/session.h"

namespace tenantdb::migrate {

ConnectOptions FromConnectionParams(sql::ConnectionParams params) {
  params.pin_search_path = false;
  ConnectOptions c;
  c.keywords.emplace_back("dbname", sql::ToConninfo(params));
  return c;
}

}  // namespace tenantdb::migrate
