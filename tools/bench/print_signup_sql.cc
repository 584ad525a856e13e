// Prints the SQL a new signup conversion runs, so the pgbench baseline of
// `./dev bench` measures the very statement the service executes.
#include <iostream>

#include "storage/pg_signup_store.h"

int main() {
  std::cout << affonso::storage::PgSignupStore::ConvertSql() << "\n";
  return 0;
}
