"""docker-compose.yml: valid for the Compose Specification, and every command, health check and
variable of the Jansky services is one Jansky accepts (there is no Docker engine to try it)."""

from __future__ import annotations

from urllib.parse import urlsplit

import jsonschema
import pytest

from antenna.config import load_collector_settings
from cronrun.config import load_cron_jobs_settings, load_cron_settings
from jansky.config import load_core_settings
from processor.config import load_processor_settings
from tests.deployment import (
    CommandLineError,
    InterpolationError,
    bind_port,
    compose_schema,
    duration_seconds,
    environment_of,
    interpolate,
    jansky_services,
    load_compose,
    parse_jansky,
    parse_jansky_executable,
    provision_pins,
    variable_problems,
)
from tests.stacks import Isolation, stack_services
from webapp.config import load_webapp_settings

ELASTICSEARCH = {"SEARCH_URL": "elasticsearch+http://elasticsearch:9200"}
# What each role's settings loader must accept (cross-checks between options included).
LOADERS = {
    "collector": [load_core_settings, load_collector_settings],
    "processor": [load_core_settings, load_processor_settings],
    "webapp": [load_core_settings, load_webapp_settings],
    "setup": [load_core_settings, load_webapp_settings],  # it migrates the database too
    "cron": [load_core_settings, load_webapp_settings, load_cron_settings, load_cron_jobs_settings],
}


@pytest.fixture(scope="module")
def compose() -> dict:
    return load_compose()


@pytest.mark.parametrize("env", [{}, ELASTICSEARCH], ids=["opensearch", "elasticsearch"])
def test_the_file_follows_the_compose_specification(env):
    validator = jsonschema.Draft202012Validator(compose_schema())
    errors = [
        f"{'.'.join(map(str, error.absolute_path))}: {error.message}"
        for error in validator.iter_errors(load_compose(env))
    ]
    assert errors == []


def test_the_schema_check_finds_mistakes():
    validator = jsonschema.Draft202012Validator(compose_schema())
    broken = {"services": {"collector": {"image": "jansky", "healthcheck": {"tset": ["CMD"]}}}}
    assert not validator.is_valid(broken)
    unknown_condition = {"condition": "service_finished"}
    assert not validator.is_valid(
        {"services": {"setup": {"image": "jansky", "depends_on": {"db": unknown_condition}}}}
    )


def test_the_stack_has_every_jansky_role_and_backend(compose):
    roles = {name: service["command"][0] for name, service in jansky_services(compose).items()}
    assert roles == {
        "setup": "setup",
        "collector": "collector",
        "processor": "processor",
        "webapp": "webapp",
        "cron": "cron",
    }
    assert {"minio", "elasticmq", "opensearch", "postgres", "elasticsearch"} <= set(
        compose["services"]
    )
    assert compose["services"]["elasticsearch"]["profiles"] == ["elasticsearch"]
    assert "profiles" not in compose["services"]["opensearch"]


def test_every_command_is_one_jansky_accepts(compose):
    for name, service in jansky_services(compose).items():
        namespace = parse_jansky(service["command"])
        assert namespace.command == name, f"{name} runs `jansky {namespace.command}`"


def test_servers_listen_on_every_address_at_the_published_port(compose):
    for name, service in jansky_services(compose).items():
        namespace = parse_jansky(service["command"])
        port = bind_port(namespace)
        published = [str(mapping).rpartition(":")[2] for mapping in service.get("ports", [])]
        if port is None:
            assert published == [], f"{name} publishes ports but serves none"
            continue
        assert namespace.bind.startswith("0.0.0.0:"), f"{name} must listen beyond loopback"
        assert published == [str(port)], f"{name} serves on {port} but publishes {published}"


def test_health_checks_are_jansky_commands_that_reach_the_server(compose):
    for name, service in jansky_services(compose).items():
        if name == "setup":
            assert "healthcheck" not in service  # one-shot: it exits when done
            continue
        test = service["healthcheck"]["test"]
        assert test[0] == "CMD", f"{name}: exec form, no shell in the image needed"
        namespace = parse_jansky_executable(test[1:])
        assert namespace.command == "healthcheck"
        port = bind_port(parse_jansky(service["command"]))
        if port is None:
            assert namespace.url is None, f"{name} serves no HTTP: it checks its backends"
            continue
        url = urlsplit(namespace.url)
        assert (url.hostname, url.port) == ("127.0.0.1", port), f"{name} checks {namespace.url}"
        assert url.path in {"/__heartbeat__", "/__lbheartbeat__"}


def test_every_variable_is_a_jansky_setting_with_a_value_it_accepts(compose):
    for name, service in jansky_services(compose).items():
        env = environment_of(service)
        assert variable_problems(env) == [], name
        for loader in LOADERS[service["command"][0]]:
            loader(env)  # raises on a value or a combination the role refuses


def test_the_variable_check_finds_mistakes():
    problems = variable_problems(
        {"PROCESSOR_THREDS": "8", "PROCESSOR_THREADS": "eight", "AWS_REGION": "eu-west-1"}
    )
    assert len(problems) == 2
    assert "PROCESSOR_THREDS is neither" in problems[0]
    assert problems[1].startswith("PROCESSOR_THREADS='eight'")


def test_the_command_check_finds_mistakes():
    with pytest.raises(CommandLineError, match="invalid choice"):
        parse_jansky(["services", "setup"])
    with pytest.raises(CommandLineError, match="unrecognized arguments"):
        parse_jansky(["processor", "--bind", "0.0.0.0:8000"])
    with pytest.raises(CommandLineError, match="does not run jansky"):
        parse_jansky_executable(["curl", "-f", "http://127.0.0.1:8000/"])


def test_servers_start_after_setup_and_setup_after_the_backends(compose):
    services = compose["services"]
    for name, service in jansky_services(compose).items():
        if name == "setup":
            continue
        assert service["depends_on"] == {"setup": {"condition": "service_completed_successfully"}}
    setup = services["setup"]
    assert setup["restart"] == "on-failure"  # retried while a backend is still starting
    for backend, condition in setup["depends_on"].items():
        assert backend in services
        if "healthcheck" in services[backend]:
            assert condition["condition"] == "service_healthy", backend


def test_the_processor_and_collector_stop_after_their_own_grace_periods(compose):
    services = compose["services"]
    processor_env = environment_of(services["processor"])
    shutdown = load_processor_settings(processor_env).shutdown_seconds
    assert duration_seconds(services["processor"]["stop_grace_period"]) > shutdown
    timeout = load_collector_settings(environment_of(services["collector"])).worker_timeout
    assert duration_seconds(services["collector"]["stop_grace_period"]) > timeout


def test_the_processor_can_be_scaled(compose):
    processor = compose["services"]["processor"]
    assert "container_name" not in processor and "ports" not in processor


def test_backends_run_the_versions_the_tests_run_against(compose):
    pins = provision_pins()
    images = {name: service["image"] for name, service in compose["services"].items()}
    assert images["opensearch"].endswith(f":{pins['OPENSEARCH_VERSION']}")
    assert images["elasticsearch"].endswith(f":{pins['ELASTICSEARCH_VERSION']}")
    assert images["elasticmq"].endswith(f":{pins['ELASTICMQ_VERSION']}")


def test_the_urls_name_services_of_the_stack(compose):
    services = compose["services"]
    for env in ({}, ELASTICSEARCH):
        for name, service in jansky_services(load_compose(env)).items():
            variables = environment_of(service)
            for key in (
                "SEARCH_URL",
                "DATABASE_URL",
                "AWS_ENDPOINT_URL_S3",
                "AWS_ENDPOINT_URL_SQS",
            ):
                host = urlsplit(variables[key].partition("+")[2] or variables[key]).hostname
                assert host in services, f"{name}: {key} names {host}, not a service"


def test_named_volumes_are_declared(compose):
    declared = set(compose["volumes"])
    used = {
        mount.partition(":")[0]
        for service in compose["services"].values()
        for mount in service.get("volumes", [])
        if not mount.startswith(("/", "."))
    }
    assert used == declared


@pytest.mark.parametrize(
    ("text", "env", "expected"),
    [
        ("${A:-x}", {}, "x"),
        ("${A:-x}", {"A": ""}, "x"),
        ("${A-x}", {"A": ""}, ""),
        ("${A}", {"A": "1"}, "1"),
        ("$${A}", {"A": "1"}, "${A}"),
        ("a ${A:?set it} b", {"A": "v"}, "a v b"),
        ("$A/x", {"A": "1"}, "1/x"),
        ("${A:+on}", {"A": "1"}, "on"),
        ("${A:+on}", {"A": ""}, ""),
    ],
)
def test_interpolation_follows_compose(text, env, expected):
    assert interpolate(text, env) == expected


def test_interpolation_refuses_what_compose_refuses():
    with pytest.raises(InterpolationError, match="A must be set: set it"):
        interpolate("${A:?set it}", {})
    with pytest.raises(InterpolationError, match="invalid interpolation"):
        interpolate("${A", {"A": "1"})


def test_the_local_stack_runs_the_compose_commands_on_the_local_servers(tmp_path):
    services_env = {
        "AWS_ENDPOINT_URL_S3": "http://127.0.0.1:9100",
        "AWS_ENDPOINT_URL_SQS": "http://127.0.0.1:9324",
        "SEARCH_URL": "opensearch+http://127.0.0.1:9201",
        "ELASTICSEARCH_URL": "elasticsearch+http://127.0.0.1:9202",
        "DATABASE_URL": "postgres://jansky:jansky@127.0.0.1:5433/jansky",
    }
    isolation = Isolation("abc")
    services = stack_services(services_env, isolation, tmp_path)
    compose = jansky_services(load_compose())
    assert set(services) == set(compose)
    for name, service in services.items():
        original = compose[name]["command"]
        args = list(service.component.args)
        if service.url:  # the same command, on loopback at a free port
            port = service.url.rpartition(":")[2]
            assert args == [f"127.0.0.1:{port}" if "0.0.0.0" in arg else arg for arg in original]
        else:
            assert args == original
        env = service.env
        assert env["AWS_ENDPOINT_URL_S3"] == "http://127.0.0.1:9100"
        assert env["SEARCH_URL"] == "opensearch+http://127.0.0.1:9201"
        assert env["STORAGE_URL"] == "s3://jansky-crashes/jansky-stack-abc-"
        assert env["QUEUE_URL"] == "sqs://?prefix=jansky-stack-abc-"
        assert env["DATABASE_URL"] == "postgres://jansky:jansky@127.0.0.1:5433/jansky_stack_abc"
        assert env["SEARCH_INDEX_TEMPLATE"] == "jansky-stack-abc-%Y%W"
        assert env["DATA_DIR"] == str(tmp_path)
        # Everything else is compose's own.
        changed = {"STORAGE_URL", "QUEUE_URL", "DATABASE_URL", "SEARCH_URL", "DATA_DIR"}
        changed |= {"AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL_SQS", "SEARCH_INDEX_TEMPLATE"}
        original_env = environment_of(compose[name])
        assert {key: env[key] for key in original_env if key not in changed} == {
            key: value for key, value in original_env.items() if key not in changed
        }
    # Services that serve no HTTP are waited for as `jansky run` waits for them.
    assert services["processor"].component.ready_line == "processor started"
    assert services["cron"].component.ready_line == "cron loop started"
    elasticsearch = stack_services(services_env, isolation, tmp_path, ELASTICSEARCH)
    assert elasticsearch["processor"].env["SEARCH_URL"] == "elasticsearch+http://127.0.0.1:9202"
