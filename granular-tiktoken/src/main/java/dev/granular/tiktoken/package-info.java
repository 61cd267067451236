/**
 * OpenAI's tiktoken encodings for granular, run by jtokkit in pure Java:
 * {@link dev.granular.tiktoken.TiktokenEncoding}. granular-core's {@code Tokenizers} is the API; this package
 * only keeps jtokkit's types out of granular.core.
 *
 * <p>Why a jar of its own: jtokkit 1.1.0 declares no module name, so a named module requiring it would
 * require a name taken from the jar's file name, which Maven warns must not be published. This jar is the
 * automatic module {@code granular.tiktoken} (a manifest name, no descriptor), which reads the class path
 * where jtokkit sits; its public signatures hold no jtokkit type, so granular.core can require it. See
 * docs/library.md.
 */
package dev.granular.tiktoken;
