/**
 * The contracts every folder shares — message definitions, workflow ids, search attributes,
 * rejection codes and audit chain names — so that workflows, activities and the API import this
 * module and never each other. Deterministic code only: it is bundled into the workflows.
 */
export * from './ids';
export * from './round';
export * from './candidate';
export * from './career';
export * from './exam';
export * from './rejections';
export * from './audit-chains';
