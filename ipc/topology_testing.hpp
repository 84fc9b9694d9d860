// GoogleTest support for topologies: a machine described in hwloc's synthetic syntax, for
// placement tests on hardware this host does not have.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "ipc/status_testing.hpp"
#include "ipc/topology.hpp"

namespace ptbench::ipc {

// The topology hwloc builds from `description` (for example "pack:2 node:1 l3:1 core:8 pu:2");
// a description hwloc rejects fails the calling test.
inline Topology synthetic(const std::string& description) {
  Topology t;
  EXPECT_TRUE(IsOk(load_synthetic_topology(description, &t))) << description;
  return t;
}

}  // namespace ptbench::ipc
