export { recruitmentRound } from './round';
export { candidate } from './candidate';
export { career } from './career';
