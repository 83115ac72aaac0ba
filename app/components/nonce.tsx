import { createContext, useContext } from 'react';

// The CSP nonce reaches the document's inline scripts and styles through this context (server only;
// browsers hide the attribute after load, and the client never needs it).
export const NonceContext = createContext<string | undefined>(undefined);
export const useNonce = () => useContext(NonceContext);
