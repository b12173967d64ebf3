// zlib compression of test bodies, for the tests of body decoding.
#pragma once

#include <gtest/gtest.h>
#include <zlib.h>

#include <string>

namespace sluice::testing {

// Returns `text` compressed. window_bits: 15 + 16 gzip, 15 zlib, -15 raw deflate.
inline std::string CompressForTest(const std::string& text, int window_bits) {
  z_stream zs{};
  EXPECT_EQ(deflateInit2(&zs, 6, Z_DEFLATED, window_bits, 8, Z_DEFAULT_STRATEGY), Z_OK);
  std::string out(deflateBound(&zs, text.size()) + 32, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
  zs.avail_in = static_cast<uInt>(text.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&zs, Z_FINISH), Z_STREAM_END);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

}  // namespace sluice::testing
