// Webview panel entry. (Skeleton; filled by the panel work.)
export {};
