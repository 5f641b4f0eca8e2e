# Kafka log append throughput against a running broker (bash scripts/kafka.sh start); the
# reference is Kafka's own ProducerPerformance (bash scripts/kafka.sh perf).
roms_add_bench(kafka_bench SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/kafka_bench.cc DEPS roms::events_kafka Threads::Threads)
