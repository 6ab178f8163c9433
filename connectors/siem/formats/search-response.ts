import type { EventBuilder, RecordSink } from '../event';
import { JsonDocumentParser, type JsonDocumentOptions } from './json-document';
import { elasticHitLookup } from './json-lines';

export const searchResponseOptions: JsonDocumentOptions = {
  wrappers: [['hits', 'hits']],
  topLevelRecords: false,
  requireWrapper: true,
};

/**
 * A saved Elasticsearch/OpenSearch `_search` response (`{"took":..,"hits":{"hits":[...]}}`, pretty-printed
 * or minified, any size; several in a row; or a top-level array of hits): each hit is an event.
 */
export class SearchResponseParser extends JsonDocumentParser {
  constructor(builder: EventBuilder, sink: RecordSink, maxRecordBytes: number) {
    super(
      (hit, line) => builder.build(elasticHitLookup(hit), line, sink, undefined),
      sink,
      maxRecordBytes,
      searchResponseOptions,
    );
  }
}
