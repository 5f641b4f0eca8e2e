// CRC-32C (Castagnoli, polynomial 0x1EDC6F41, reflected), as used by iSCSI, ext4 and RocksDB.
// Uses the SSE4.2 crc32 instruction when the CPU has it (checked once with cpuid), otherwise
// a table. Both give identical results; crc32c("123456789") == 0xE3069283.
//
//   uint32_t c = crc32c::value(buf, n);
//   c = crc32c::extend(c, more, m);   // == value(buf ++ more)
#pragma once

#include <cstddef>
#include <cstdint>

namespace roms::events::internal::crc32c {

// CRC of `data` continuing from `crc` (the CRC of the bytes before it; 0 for none).
uint32_t extend(uint32_t crc, const void* data, size_t n) noexcept;

inline uint32_t value(const void* data, size_t n) noexcept { return extend(0, data, n); }

// The two implementations, exposed so tests can check both against known vectors.
uint32_t extend_portable(uint32_t crc, const void* data, size_t n) noexcept;
// Only call when hardware_available().
uint32_t extend_hardware(uint32_t crc, const void* data, size_t n) noexcept;
bool hardware_available() noexcept;

}  // namespace roms::events::internal::crc32c
