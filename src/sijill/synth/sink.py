"""Chunk-by-chunk Parquet writers, one per output table."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from sijill.synth.schemas import TABLES


class ParquetSink:
    def __init__(self, out_dir: Path) -> None:
        self.out_dir = out_dir
        self.writers: dict[str, pq.ParquetWriter] = {}
        self.rows: dict[str, int] = dict.fromkeys(TABLES, 0)

    def write(self, name: str, table: pa.Table) -> None:
        path, schema = TABLES[name]
        writer = self.writers.get(name)
        if writer is None:
            target = self.out_dir / path
            target.parent.mkdir(parents=True, exist_ok=True)
            writer = pq.ParquetWriter(target, schema, compression="zstd", compression_level=1)
            self.writers[name] = writer
        writer.write_table(table.cast(schema))
        self.rows[name] += table.num_rows

    def close(self) -> dict[str, int]:
        for name, (_, schema) in TABLES.items():
            if name not in self.writers:
                self.write(name, schema.empty_table())
        for writer in self.writers.values():
            writer.close()
        self.writers.clear()
        return dict(self.rows)
