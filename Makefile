# clickstream: every user-facing command. `make help` lists them.
MVN ?= mvn -B -ntp
ARGS ?=

.DEFAULT_GOAL := help

.PHONY: help build test produce clean

help: ## list the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

build: ## compile and package: producer/target/clickstream-producer.jar (+ lib/)
	$(MVN) -q install -DskipTests

test: ## run every test (unit + integration with in-process Kafka and embedded PostgreSQL)
	$(MVN) install

produce: build ## run the producer CLI, e.g. make produce ARGS="--output - --count 5"
	java -jar producer/target/clickstream-producer.jar $(ARGS)

clean: ## delete build output
	$(MVN) -q clean
