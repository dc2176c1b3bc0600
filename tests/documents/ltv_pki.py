"""A test PKI whose CA publishes OCSP and CRLs, with a TSA, served live on loopback (certomancer).

certomancer builds the certificates from the YAML below and its WSGI app
(the "Animator") answers OCSP, serves CRLs and stamps times, here on a real
socket in a thread, so signing fetches revocation data over HTTP as it would
in production. :meth:`LivePki.stop` takes the responders away, so a test can
prove that what was embedded is enough to validate offline.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

import yaml
from certomancer.integrations.animator import Animator, AnimatorArchStore
from certomancer.registry import CertomancerConfig
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from werkzeug.serving import make_server

P12_PASSWORD = "ltv-test"
_VALID = {"valid-from": "2020-01-01T00:00:00+0000", "valid-to": "2090-01-01T00:00:00+0000"}
_KEYS = ("root", "interm", "interm-ocsp", "signer", "tsa")
CONFIG = {
    # certomancer never makes keys: LivePki writes these first.
    "keysets": {"ks": {"keys": {k: {"path": f"{k}.pem"} for k in _KEYS}}},
    "pki-architectures": {
        "pki": {
            "keyset": "ks",
            "entity-defaults": {"country-name": "ES", "organization-name": "PKI de pruebas"},
            "entities": {
                "root": {"common-name": "Raíz de pruebas"},
                "interm": {"common-name": "CA intermedia de pruebas"},
                "interm-ocsp": {"common-name": "OCSP de pruebas"},
                "signer": {"common-name": "Link Soluciones firma de pruebas"},
                "tsa": {"common-name": "TSA de pruebas"},
            },
            "certs": {
                # crl-repo: a CRL distribution point on what root issues.
                "root": {
                    "issuer": "root",
                    "validity": _VALID,
                    "profiles": [{"id": "simple-ca", "params": {"crl-repo": "root"}}],
                },
                # ocsp-service + crl-repo: the signer's certificate names both.
                "interm": {
                    "issuer": "root",
                    "validity": _VALID,
                    "profiles": [
                        {
                            "id": "simple-ca",
                            "params": {
                                "max-path-len": 0,
                                "crl-repo": "interm",
                                "ocsp-service": "interm",
                            },
                        }
                    ],
                },
                "interm-ocsp": {
                    "issuer": "interm",
                    "validity": _VALID,
                    "profiles": ["ocsp-responder"],
                },
                "signer": {
                    "issuer": "interm",
                    "validity": _VALID,
                    "profiles": ["digsig-commitment"],
                },
                "tsa": {
                    "issuer": "root",
                    "validity": _VALID,
                    "extensions": [
                        {
                            "id": "key_usage",
                            "critical": True,
                            "smart-value": {"schema": "key-usage", "params": ["digital_signature"]},
                        },
                        {"id": "extended_key_usage", "critical": True, "value": ["time_stamping"]},
                    ],
                },
            },
            "services": {
                "ocsp": {
                    "interm": {
                        "for-issuer": "interm",
                        "responder-cert": "interm-ocsp",
                        "signing-key": "interm-ocsp",
                    }
                },
                "crl-repo": {
                    "root": {
                        "for-issuer": "root",
                        "signing-key": "root",
                        "simulated-update-schedule": "P90D",
                    },
                    "interm": {
                        "for-issuer": "interm",
                        "signing-key": "interm",
                        "simulated-update-schedule": "P7D",
                    },
                },
                "time-stamping": {"tsa": {"signing-key": "tsa", "signing-cert": "tsa"}},
            },
        }
    },
}


class LivePki:
    """The PKI's responders on ``127.0.0.1:<port>``; the signer's PKCS#12 and the root on disk."""

    def __init__(self, folder: Path):
        folder.mkdir(parents=True, exist_ok=True)
        for key in _KEYS:
            pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
            (folder / f"{key}.pem").write_bytes(pem)
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        # Bound first: the responders' URLs, port included, are written into the certificates.
        self._server = make_server("127.0.0.1", 0, self._serve, threaded=True)
        self.port = self._server.server_port
        config = CertomancerConfig(
            yaml.safe_load(yaml.safe_dump(CONFIG)),
            key_search_dir=str(folder),
            external_url_prefix=f"http://127.0.0.1:{self.port}",
        )
        self.arch = config.get_pki_arch("pki")
        self._app = Animator(AnimatorArchStore(config.pki_archs), with_web_ui=False)
        self.signer_p12 = folder / "signer.p12"
        self.signer_p12.write_bytes(
            self.arch.package_pkcs12("signer", password=P12_PASSWORD.encode())
        )
        self.root = self.arch.get_cert("root")
        self.root_pem = folder / "root.crt"
        self.root_pem.write_bytes(self.root.dump())
        self.tsa_url = f"http://127.0.0.1:{self.port}/pki/tsa/tsa"
        self.start()

    def _serve(self, environ, start_response):
        return self._app(environ, start_response)

    def start(self) -> None:
        if self._server is None:
            self._server = make_server("127.0.0.1", self.port, self._serve, threaded=True)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        """The OCSP responder, the CRLs and the TSA go away."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


def offline_spec(root):
    """pyHanko's AdES validation policy with no network: only what the file carries counts."""
    from pyhanko.sign.validation.policy_decl import (
        PdfSignatureValidationSpec,
        RevinfoOnlineFetchingRule,
        RevocationInfoGatheringSpec,
        SignatureValidationSpec,
    )
    from pyhanko_certvalidator.context import CertValidationPolicySpec
    from pyhanko_certvalidator.policy_decl import REQUIRE_REVINFO, CertRevTrustPolicy
    from pyhanko_certvalidator.registry import SimpleTrustManager

    return PdfSignatureValidationSpec(
        SignatureValidationSpec(
            cert_validation_policy=CertValidationPolicySpec(
                trust_manager=SimpleTrustManager.build(trust_roots=[root]),
                revinfo_policy=CertRevTrustPolicy(REQUIRE_REVINFO),
            ),
            revinfo_gathering_policy=RevocationInfoGatheringSpec(
                RevinfoOnlineFetchingRule.LOCAL_ONLY
            ),
        )
    )
