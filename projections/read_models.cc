#include "projections/read_models.h"

namespace roms::projections {

std::vector<std::unique_ptr<projection>> make_read_models(bool single_partition) {
  std::vector<std::unique_ptr<projection>> v;
  v.push_back(std::make_unique<orders_projection>(single_partition));
  v.push_back(std::make_unique<customers_projection>());
  v.push_back(std::make_unique<catalog_projection>());
  v.push_back(std::make_unique<daily_projection>());
  v.push_back(std::make_unique<auth_projection>());
  v.push_back(std::make_unique<automation_projection>());
  v.push_back(std::make_unique<messages_projection>());
  v.push_back(std::make_unique<conversations_projection>());
  return v;
}

}  // namespace roms::projections
