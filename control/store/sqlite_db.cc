#include "control/store/sqlite_db.h"

namespace sluice::control::store {

SqliteDb::~SqliteDb() {
  if (db_ != nullptr) sqlite3_close_v2(db_);
}

std::string SqliteDb::OpenWith(const std::string& name, int flags, const std::string& path) {
  if (sqlite3_open_v2(name.c_str(), &db_, flags | SQLITE_OPEN_NOMUTEX, nullptr) != SQLITE_OK) {
    std::string error = "cannot open index " + path + ": " + LastError();
    sqlite3_close_v2(db_);
    db_ = nullptr;
    return error;
  }
  return {};
}

std::string SqliteDb::Open(const std::string& path, bool read_only) {
  const int flags = read_only ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  if (std::string error = OpenWith(path, flags, path); !error.empty()) return error;
  // A writer holding the lock for a commit makes a reader wait rather than fail at once.
  sqlite3_busy_timeout(db_, 5000);
  return {};
}

std::string SqliteDb::OpenImmutable(const std::string& path) {
  // The path goes into a URI: escape what would end it or start an escape there.
  std::string uri = "file:";
  for (const char c : path) {
    if (c == '%') {
      uri += "%25";
    } else if (c == '?') {
      uri += "%3f";
    } else if (c == '#') {
      uri += "%23";
    } else {
      uri += c;
    }
  }
  uri += "?immutable=1";
  return OpenWith(uri, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, path);
}

std::string SqliteDb::Exec(const char* sql) {
  char* message = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &message) != SQLITE_OK) {
    std::string error = message != nullptr ? message : LastError();
    sqlite3_free(message);
    return error;
  }
  return {};
}

std::string SqliteDb::LastError() const {
  return db_ == nullptr ? "out of memory" : sqlite3_errmsg(db_);
}

SqliteStatement::~SqliteStatement() {
  if (statement_ != nullptr) sqlite3_finalize(statement_);
}

std::string SqliteStatement::Prepare(SqliteDb& db, std::string_view sql) {
  if (statement_ != nullptr) sqlite3_finalize(statement_);
  statement_ = nullptr;
  if (sqlite3_prepare_v3(db.handle(), sql.data(), static_cast<int>(sql.size()),
                         SQLITE_PREPARE_PERSISTENT, &statement_, nullptr) != SQLITE_OK) {
    return "cannot prepare index statement: " + db.LastError();
  }
  return {};
}

}  // namespace sluice::control::store
