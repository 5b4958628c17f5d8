"""Ingestion of repayment records and external feeds: schemas, readers, validation, matching.

Pure: nothing here touches storage. The entry point is :func:`import_feed`, which turns a
file, an HTTP API or plain records of one of the :data:`FEEDS` into an :class:`ImportReport`
(accepted rows as a DataFrame, quarantined rejections with line, field and reason, duplicates
skipped). :func:`feed_docs` renders every feed's schema as markdown.
"""

from mortgage_risk.monitoring.ingest.connectors import (
    Connector,
    ConnectorError,
    FileConnector,
    HttpConnector,
)
from mortgage_risk.monitoring.ingest.feeds import (
    FEEDS,
    REGISTRY_CHANGE,
    Feed,
    FeedField,
    FeedKind,
    FieldType,
    feed_docs,
    get_feed,
)
from mortgage_risk.monitoring.ingest.matching import (
    NAME_ONLY_LEVEL_CAP,
    UNMATCHED,
    BorrowerIndex,
    Match,
    match_borrower,
    normalise_name,
)
from mortgage_risk.monitoring.ingest.pipeline import ImportReport, accepted_columns, import_feed
from mortgage_risk.monitoring.ingest.readers import (
    Malformed,
    RawRecord,
    read_csv,
    read_json,
    read_json_lines,
    read_parquet,
    read_records,
)
from mortgage_risk.monitoring.ingest.validate import (
    RECORD_FIELD,
    CleanRow,
    Deduplicator,
    Key,
    Rejection,
    content_hash,
    record_key,
    validate_record,
)

__all__ = [
    "FEEDS",
    "NAME_ONLY_LEVEL_CAP",
    "RECORD_FIELD",
    "REGISTRY_CHANGE",
    "UNMATCHED",
    "BorrowerIndex",
    "CleanRow",
    "Connector",
    "ConnectorError",
    "Deduplicator",
    "Feed",
    "FeedField",
    "FeedKind",
    "FieldType",
    "FileConnector",
    "HttpConnector",
    "ImportReport",
    "Key",
    "Malformed",
    "Match",
    "RawRecord",
    "Rejection",
    "accepted_columns",
    "content_hash",
    "feed_docs",
    "get_feed",
    "import_feed",
    "match_borrower",
    "normalise_name",
    "read_csv",
    "read_json",
    "read_json_lines",
    "read_parquet",
    "read_records",
    "record_key",
    "validate_record",
]
