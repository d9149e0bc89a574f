// Types of scripts/compose-env.mjs, for the test that keeps its list equal to docker-compose.yml's required variables.
export declare const COMPOSE_SECRETS: readonly string[];
