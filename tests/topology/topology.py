"""The production topology of docs/deployment.md, brought up for a test.

nginx terminates TLS (a certificate from a test CA made here) in front of two gunicorn
"hosts" of the tool on PostgreSQL; two ``lti-tool worker`` processes deliver the outbox; the
sandbox LMS runs as a process of its own, also behind nginx's TLS, and is registered with
``lti-tool platforms add`` like any LMS. Every process is started with the commands the
deployment guide shows, with ``LTI_TOOL_ENV=production``.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from benchmarks.journey_targets import free_port
from lti_tool.models.grades import ScoreOutbox
from lti_tool.sandbox.driver import SandboxDriver

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
NGINX_SITE = ROOT / "deploy" / "nginx-lti-tool.conf"
FLAVOURS = ("canvas", "moodle")


def nginx_binary() -> str | None:
    """nginx from PATH, or where Debian puts it (/usr/sbin is not on every user's PATH)."""
    import shutil

    found = shutil.which("nginx")
    return found or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)


# -- TLS ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class TestCertificates:
    ca: Path
    certificate: Path
    key: Path


def make_certificates(folder: Path) -> TestCertificates:
    """A CA, and a server certificate it signs for localhost and 127.0.0.1."""
    now = dt.datetime.now(dt.UTC)

    def build(subject: str, issuer: x509.Name | None, issuer_key, public_key, extensions):  # type: ignore[no-untyped-def]
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
        builder = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(issuer or name)
            .public_key(public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=1))
        )
        for extension, critical in extensions:
            builder = builder.add_extension(extension, critical=critical)
        return builder.sign(issuer_key, hashes.SHA256())

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = build(
        "Topology test CA",
        None,
        ca_key,
        ca_key.public_key(),
        [
            (x509.BasicConstraints(ca=True, path_length=0), True),
            (_key_usage(ca=True), True),
            (x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False),
        ],
    )
    server_key = ec.generate_private_key(ec.SECP256R1())
    server = build(
        "localhost",
        ca.subject,
        ca_key,
        server_key.public_key(),
        [
            (x509.BasicConstraints(ca=False, path_length=None), True),
            (_key_usage(ca=False), True),
            (x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), False),
            (x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False),
            (
                x509.SubjectAlternativeName(
                    [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
                ),
                False,
            ),
        ],
    )
    folder.mkdir(parents=True, exist_ok=True)
    paths = TestCertificates(folder / "ca.pem", folder / "server.pem", folder / "server-key.pem")
    paths.ca.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths.certificate.write_bytes(server.public_bytes(serialization.Encoding.PEM))
    paths.key.write_bytes(
        server_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    paths.key.chmod(0o600)
    return paths


def _key_usage(*, ca: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=ca,
        crl_sign=ca,
        encipher_only=False,
        decipher_only=False,
    )


def trusting(session: requests.Session, ca: Path) -> requests.Session:
    """``session`` trusting the test CA. Without trust_env: requests lets an environment's
    REQUESTS_CA_BUNDLE override the session's own ``verify``."""
    session.trust_env = False
    session.verify = str(ca)
    return session


# -- nginx -------------------------------------------------------------------------------------
def nginx_site(values: dict[str, str]) -> str:
    """deploy/nginx-lti-tool.conf with its {{NAME}}s filled in."""
    site = NGINX_SITE.read_text()
    for name, value in values.items():
        site = site.replace("{{" + name + "}}", value)
    if "{{" in site:
        raise ValueError(f"unfilled placeholders in {NGINX_SITE}")
    return site


def nginx_main_config(run_dir: Path, site: str, sandbox_server: str) -> str:
    """What a Debian host's /etc/nginx/nginx.conf provides, for an nginx run as a test
    process: its own pid, logs and temp folders."""
    temp = {name: run_dir / name for name in ("body", "proxy", "fastcgi", "uwsgi", "scgi")}
    for folder in temp.values():
        folder.mkdir(parents=True, exist_ok=True)
    return f"""
worker_processes 1;
pid {run_dir}/nginx.pid;
error_log {run_dir}/nginx-error.log warn;
events {{ worker_connections 256; }}
http {{
    access_log {run_dir}/nginx-access.log;
    client_body_temp_path {temp["body"]};
    proxy_temp_path {temp["proxy"]};
    fastcgi_temp_path {temp["fastcgi"]};
    uwsgi_temp_path {temp["uwsgi"]};
    scgi_temp_path {temp["scgi"]};
{site}
{sandbox_server}
}}
"""


# -- processes ---------------------------------------------------------------------------------
@dataclass
class Topology:
    root: Path
    database_url: str
    tls: TestCertificates
    tool_url: str = ""
    sandbox_url: str = ""
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    _logs: list[IO[bytes]] = field(default_factory=list)

    # The environment of every tool command (docs/deployment.md, "Settings").
    def tool_env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("LTI_TOOL_")}
        env.update(
            {
                "LTI_TOOL_ENV": "production",
                "LTI_TOOL_DATABASE_URL": self.database_url,
                "LTI_TOOL_BASE_URL": self.tool_url,
                "LTI_TOOL_SECRET_KEY": "topology-" + "x" * 40,
                "LTI_TOOL_SANDBOX": "false",
                "LTI_TOOL_INLINE_GRADE_WORKER": "false",
                "LTI_TOOL_PROXY_HOPS": "1",
                "LTI_TOOL_INSTANCE_DIR": str(self.root / "instance"),
                "LTI_TOOL_KEYS_DIR": str(self.root / "keys"),
                "LTI_TOOL_ACTIVITIES_DIR": str(ROOT / "configs" / "activities"),
                # The sandbox LMS is on this machine, its certificate from the test CA.
                "LTI_TOOL_ALLOW_PRIVATE_ADDRESSES": "true",
                "LTI_TOOL_CA_BUNDLE": str(self.tls.ca),
                # Short, so the scores of the worker killed mid-delivery are taken over
                # within the test (production keeps the default).
                "LTI_TOOL_SCORE_LEASE_SECONDS": "8",
                "LTI_TOOL_HTTP_TIMEOUT_SECONDS": "3",
                "PYTHONUNBUFFERED": "1",
            }
        )
        return env

    def run(self, *args: str) -> str:
        """One ``lti-tool`` command, to completion."""
        done = subprocess.run(  # noqa: S603 (our own console script)
            [str(BIN / "lti-tool"), *args],
            env=self.tool_env(),
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
        if done.returncode != 0:
            raise RuntimeError(f"lti-tool {' '.join(args)}: {done.stdout}\n{done.stderr}")
        return done.stdout

    def spawn(self, label: str, command: list[str], env: dict[str, str]) -> None:
        log = (self.root / f"{label}.log").open("wb")
        self._logs.append(log)
        self.processes[label] = subprocess.Popen(  # noqa: S603 (our own commands)
            command,
            env=env,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # its own group: a kill reaches gunicorn's workers too
        )

    def kill(self, label: str) -> None:
        """SIGKILL, as a crashed machine would: no graceful stop, nothing flushed."""
        process = self.processes[label]
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)

    def group_pids(self, label: str) -> set[int]:
        """The process and its children (gunicorn's workers): its process group."""
        group = self.processes[label].pid
        found = set()
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[2]) == group:  # fields: state, ppid, pgrp, ...
                found.add(int(stat.parent.name))
        return found

    def log(self, label: str) -> str:
        return (self.root / f"{label}.log").read_text(errors="replace")

    def https(self) -> requests.Session:
        return trusting(requests.Session(), self.tls.ca)

    def wait_for(self, url: str, label: str, seconds: float = 60) -> None:
        deadline = time.monotonic() + seconds
        session = self.https()
        while time.monotonic() < deadline:
            process = self.processes[label]
            if process.poll() is not None:
                raise RuntimeError(f"{label} exited at start:\n{self.log(label)}")
            try:
                if session.get(url, timeout=2).status_code < 500:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"{url} did not answer within {seconds:.0f} s:\n{self.log(label)}")

    def driver(self, flavour: str) -> SandboxDriver:
        """The sandbox LMS's driver over HTTPS, trusting the test CA."""
        driver = SandboxDriver(self.sandbox_url, flavour, timeout=60)
        trusting(driver.http, self.tls.ca)
        return driver

    def register_platforms(self) -> None:
        """What an LMS administrator copies from each LMS into ``lti-tool platforms add``."""
        for flavour in FLAVOURS:
            details = self.driver(flavour).platform_registration()
            audience = details.get("auth_audience")
            self.run(
                "platforms", "add",
                "--issuer", details["issuer"], "--client-id", details["client_id"],
                "--auth-login-url", details["auth_login_url"],
                "--auth-token-url", details["auth_token_url"],
                "--key-set-url", details["key_set_url"],
                *[arg for d in details["deployment_ids"] for arg in ("--deployment-id", d)],
                *(["--auth-audience", audience] if audience else []),
                "--name", f"Sandbox LMS ({flavour})",
            )  # fmt: skip

    def score_rows(self) -> list[ScoreOutbox]:
        engine = create_engine(self.database_url)
        try:
            with Session(engine) as session:
                return list(session.scalars(select(ScoreOutbox)))
        finally:
            engine.dispose()

    def start(self) -> None:
        tool_port, sandbox_port = free_port(), free_port()
        host_ports = {"host-a": free_port(), "host-b": free_port()}
        sandbox_backend = free_port()
        self.tool_url = f"https://127.0.0.1:{tool_port}"
        self.sandbox_url = f"https://localhost:{sandbox_port}"

        # The tool's database and activities, once per release (docs: "Upgrades").
        self.run("db", "upgrade")
        self.run("activities", "load")

        # The sandbox LMS, a process of its own behind nginx like a real LMS.
        sandbox_env = {**self.tool_env(), "REQUESTS_CA_BUNDLE": str(self.tls.ca)}
        self.spawn(
            "sandbox",
            [sys.executable, "-m", "lti_tool.sandbox", "--port", str(sandbox_backend),
             "--public-url", self.sandbox_url, "--tool-url", self.tool_url,
             "--database", str(self.root / "sandbox.sqlite3"),
             "--keys-dir", str(self.root / "sandbox-keys")],
            sandbox_env,
        )  # fmt: skip

        # Two hosts of the tool (docs: "Hosts").
        for label, port in host_ports.items():
            self.spawn(
                label,
                [str(BIN / "gunicorn"), "-w", "2", "-k", "gthread", "--threads", "4",
                 "-b", f"127.0.0.1:{port}", "--log-level", "warning", "lti_tool.wsgi:app"],
                self.tool_env(),
            )  # fmt: skip

        run_dir = self.root / "nginx"
        run_dir.mkdir(parents=True, exist_ok=True)
        site = nginx_site(
            {
                "HOST_A": f"127.0.0.1:{host_ports['host-a']}",
                "HOST_B": f"127.0.0.1:{host_ports['host-b']}",
                "LISTEN": f"127.0.0.1:{tool_port}",
                "SERVER_NAME": "127.0.0.1",
                "TLS_CERTIFICATE": str(self.tls.certificate),
                "TLS_CERTIFICATE_KEY": str(self.tls.key),
            }
        )
        sandbox_server = f"""
server {{
    listen 127.0.0.1:{sandbox_port} ssl;
    server_name localhost;
    ssl_certificate {self.tls.certificate};
    ssl_certificate_key {self.tls.key};
    location / {{
        proxy_pass http://127.0.0.1:{sandbox_backend};
        proxy_set_header Host $http_host;
    }}
}}"""
        config = run_dir / "nginx.conf"
        config.write_text(nginx_main_config(run_dir, site, sandbox_server))
        self.spawn(
            "nginx",
            [nginx_binary() or "nginx", "-c", str(config), "-p", str(run_dir), "-g", "daemon off;"],
            dict(os.environ),
        )
        self.wait_for(self.sandbox_url + "/", "sandbox")
        self.register_platforms()

        # Two outbox workers (docs: "Workers").
        for label in ("worker-1", "worker-2"):
            self.spawn(label, [str(BIN / "lti-tool"), "worker", "--poll-seconds", "0.5"],
                       self.tool_env())  # fmt: skip
        for label in host_ports:
            self.wait_for(self.tool_url + "/health", label)

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=5)
        for log in self._logs:
            log.close()


# -- a database of its own on the test server --------------------------------------------------
def create_database(server_url: str) -> str:
    name = "topology_" + uuid.uuid4().hex[:12]
    engine = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


def drop_database(server_url: str, database_url: str) -> None:
    name = make_url(database_url).database
    engine = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()
