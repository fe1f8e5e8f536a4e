/** The srs.conf config system: parse, view with SRS defaults, validate, diff for reload. */
export { ConfigError, ConfigErrorList } from './errors.js';
export { Directive, sameDirective } from './directive.js';
export { tokenize, type Token } from './lexer.js';
export { parseDirectives, parseFile, resolveInclude, type Env, type ParseOptions } from './parser.js';
export { rewriteLegacy } from './legacy.js';
export { parseEndpoint, formatEndpoint, envNames, type Endpoint } from './schema.js';
export type { SecurityRule } from './srs-schema.js';
export {
  Config, DEFAULT_VHOST, ENV_ONLY_CONFIG, checkConfigFile, loadConfig, loadEnvOnlyConfig, parseConfig, parseConfigText, validate,
  type ClusterView, type DvrView, type ForwardView, type GlobalView, type HlsView, type HttpApiView,
  type HttpHooksView, type HttpRemuxView, type HttpServerView, type LoadOptions, type PlayView,
  type PublishView, type RtcServerView, type RtcView, type SecurityView, type SrtServerView,
  type StreamCasterView, type Validation, type VhostView,
} from './config.js';
export { diffConfig, diffVhost } from './diff.js';
