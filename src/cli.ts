// Headless CLI entry. (Skeleton; filled by the engine work.)
console.log('rnn-debugger: not implemented yet');
