"""Publish a batch with the portal as it was before the performance work (run by bench.publishing).

Run as a script with ``PYTHONPATH`` pointing at that commit's ``customer_portal``
(``git archive``), so the old code publishes through its own service: its
renderer, its signer, its storage, its email hooks, in one process as it did.
Prints ``{"seconds": ..., "published": ...}``.

Usage: ``python bench/publishing_then.py SIGNER_P12 PASSWORD BATCH_JSON FOLDER``
"""

import json
import sys
import time
from pathlib import Path

from customer_portal import db
from customer_portal.documents.signing import InvoiceSigner
from customer_portal.domain.publishing import Publisher
from customer_portal.mail.hooks import publication_hooks
from customer_portal.settings import load_settings


def main() -> None:
    p12, password, batch_file, folder = sys.argv[1:5]
    batch = json.loads(Path(batch_file).read_text())
    keys = {"PORTAL_SECRET_KEY": "b" * 32, "PORTAL_API_KEY": "k" * 32}
    settings = load_settings({"PORTAL_INSTANCE_DIR": folder, **keys})
    engine = db.create_db_engine(f"sqlite:///{Path(folder) / 'then.db'}")
    db.migrate(engine)
    publisher = Publisher(
        engine=engine,
        signer=InvoiceSigner(Path(p12), password),
        branding=settings.branding,
        after_store=publication_hooks(settings=settings),
    )
    start = time.perf_counter()
    summary = publisher.publish_many(batch)
    seconds = time.perf_counter() - start
    published = sum(item.status == "published" for item in summary.results)
    print(json.dumps({"seconds": seconds, "published": published}))


if __name__ == "__main__":
    main()
